namespace Widgetify.Observability.Alerts;

/// <summary>An alert changed state at an evaluation.</summary>
/// <param name="Alert">The alert after the change.</param>
/// <param name="From">Its state before.</param>
/// <param name="At">The evaluation's time.</param>
public sealed record AlertTransition(AlertSnapshot Alert, AlertState From, DateTimeOffset At)
{
    /// <summary>Its state after.</summary>
    public AlertState To => Alert.State;
}
