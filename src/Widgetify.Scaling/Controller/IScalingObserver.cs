using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Controller;

/// <summary>Follows the autoscaler's decisions: the incident timeline records them, the router adds and removes the
/// endpoints a provider reports. Register implementations as <see cref="IScalingObserver"/> singletons. Called on the
/// controller's thread, in order; an exception is logged and does not stop the loop or the other observers.</summary>
public interface IScalingObserver
{
    /// <summary>A decision was taken; its action starts now (<see cref="ScalingResult.Pending"/>).</summary>
    /// <param name="decision">The decision.</param>
    void OnDecided(ScalingDecisionRecord decision);

    /// <summary>The decision's action ended.</summary>
    /// <param name="decision">The decision with its result.</param>
    /// <param name="result">What the provider reported, endpoints included.</param>
    void OnCompleted(ScalingDecisionRecord decision, ScalingActionResult result);
}
