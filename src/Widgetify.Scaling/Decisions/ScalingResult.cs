namespace Widgetify.Scaling.Decisions;

/// <summary>How a scaling decision's action ended.</summary>
public enum ScalingResult
{
    /// <summary>Decided; the provider is still at work (adding an Aurora reader takes minutes).</summary>
    Pending,

    /// <summary>The provider reports the standbys as asked.</summary>
    Succeeded,

    /// <summary>Every attempt failed, or the leader stopped or lost its lease during the action.</summary>
    Failed,
}
