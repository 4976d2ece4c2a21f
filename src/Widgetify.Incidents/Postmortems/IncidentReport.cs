using Widgetify.Incidents.Timeline;
namespace Widgetify.Incidents.Postmortems;

/// <summary>Everything the postmortem needs: the incident, its timeline and its per-second samples.</summary>
public sealed record IncidentReport
{
    /// <summary>The incident.</summary>
    public required Incident Incident { get; init; }

    /// <summary>The timeline, oldest first.</summary>
    public required IReadOnlyList<IncidentEvent> Events { get; init; }

    /// <summary>Samples of every instance, oldest first, including the baseline before the impact start.</summary>
    public required IReadOnlyList<IncidentSample> Samples { get; init; }

    /// <summary>The latency objective in force when it opened, in seconds.</summary>
    public double SloLatencyP99Seconds { get; init; } = 0.5;

    /// <summary>The availability objective in force when it opened.</summary>
    public double SloAvailability { get; init; } = 0.999;
}
