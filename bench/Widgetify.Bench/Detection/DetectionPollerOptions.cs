namespace Widgetify.Bench.Detection;

/// <summary>How <see cref="DetectionPoller"/> polls.</summary>
internal sealed record DetectionPollerOptions
{
    /// <summary>One GET of each endpoint per interval. The alerts are evaluated once a second and their times come
    /// from the service, so a shorter interval would not sharpen any figure, only load the two shared cores.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A request slower than this counts as a failed poll (during the storm, Kestrel itself may queue).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After the load ends, polling goes on for at most this long while the incident has not resolved (or its
    /// draft is not on disk yet).</summary>
    public TimeSpan ResolutionWait { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Incidents detected this long before onset still count as the storm's: the service's evaluation tick
    /// and the bench's onset are two readings of the same clock taken at slightly different moments.</summary>
    public TimeSpan IncidentSlack { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Incidents per <c>/api/incidents</c> page (newest first).</summary>
    public int IncidentLimit { get; init; } = 20;
}
