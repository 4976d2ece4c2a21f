using Widgetify.Scaling.Law;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Providers;

/// <summary>The JSON document a command gets on standard input (camelCase; docs/scaling.md has an example). Fields are
/// only ever added, and <see cref="Version"/> changes if one changes meaning.</summary>
/// <param name="Version">The contract's version: 1.</param>
/// <param name="Direction"><c>out</c>, <c>in</c> or <c>replace</c> (replace adds standbys like out).</param>
/// <param name="CurrentReplicas">Standbys Widgetify counts now.</param>
/// <param name="DesiredReplicas">Standbys wanted: reach this count, do not add or remove a delta.</param>
/// <param name="MinReplicas">Widgetify:Scaling:MinReplicas.</param>
/// <param name="MaxReplicas">Widgetify:Scaling:MaxReplicas.</param>
/// <param name="Reason">Why, in the law's words.</param>
/// <param name="At">When it was decided (ISO 8601, UTC); the same for every attempt, so a script can derive names from it.</param>
/// <param name="Attempt">1 for the first attempt, more for retries.</param>
/// <param name="Signals">The latest second of read-path signals, or null.</param>
internal sealed record CommandActionDocument(
    int Version, string Direction, int CurrentReplicas, int DesiredReplicas, int MinReplicas, int MaxReplicas,
    string Reason, DateTimeOffset At, int Attempt, ReadPathSignals? Signals)
{
    public const int CurrentVersion = 1;

    public static CommandActionDocument From(ScalingAction action) => new(
        CurrentVersion, WireName(action.Direction), action.CurrentReplicas, action.DesiredReplicas, action.MinReplicas,
        action.MaxReplicas, action.Reason, action.At.ToUniversalTime(), action.Attempt, action.Signals);

    /// <summary>The direction as the document (and the decisions table) spell it.</summary>
    public static string WireName(ScalingDirection direction) => direction switch
    {
        ScalingDirection.Out => "out",
        ScalingDirection.In => "in",
        ScalingDirection.Replace => "replace",
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "No action has the direction None."),
    };
}
