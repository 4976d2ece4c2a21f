using System.Globalization;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Providers;

namespace Widgetify.Api.Scaling;

/// <summary>Puts the autoscaler's decisions on the open incident's timeline, as automatic actions beside shedding and
/// the admission limit: a postmortem then says when the database was scaled out and whether that helped.</summary>
internal sealed class ScalingTimeline(IncidentTracker incidents) : IScalingObserver
{
    public void OnDecided(ScalingDecisionRecord decision) =>
        incidents.RecordAutomaticAction(decision.At, Format($"Autoscaler decided to scale {ScalingViews.DirectionName(decision.Direction)} {decision.From} -> {decision.To} standby(s): {decision.Reason}."),
            new Dictionary<string, double> { ["from"] = decision.From, ["to"] = decision.To });

    public void OnCompleted(ScalingDecisionRecord decision, ScalingActionResult result)
    {
        var took = (decision.CompletedAt ?? decision.At) - decision.At;
        incidents.RecordAutomaticAction(decision.CompletedAt ?? decision.At, Format(
            $"Scale {ScalingViews.DirectionName(decision.Direction)} {decision.From} -> {decision.To} {(result.Succeeded ? "done" : "failed")} after {took.TotalSeconds:0.#} s: {result.Message}"),
            new Dictionary<string, double> { ["from"] = decision.From, ["to"] = decision.To, ["seconds"] = took.TotalSeconds, ["succeeded"] = result.Succeeded ? 1 : 0 });
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
