namespace Widgetify.Scaling.Signals;

/// <summary>What the read path looked like during one second, as the autoscaler reads it: the inputs of the control law.
/// Rates and ratios are for the second; gauges are as sampled at its end.</summary>
public sealed record ReadPathSignals
{
    /// <summary>The end of the second. One record per second; the law counts a second without one as missing, never as
    /// low load.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Share of the read pool's connections in use, 0 to 1 (of the read servers' connection shares together).</summary>
    public double ReadPoolUtilization { get; init; }

    /// <summary>Share of read connection acquires in the second that had to wait for a connection, 0 to 1; 0 when there
    /// were none.</summary>
    public double ReadAcquireWaitedRatio { get; init; }

    /// <summary>Reads shed by admission control in the second (503 with Retry-After).</summary>
    public double ReadShedPerSecond { get; init; }

    /// <summary>Reads admitted in the second.</summary>
    public double ReadAdmittedPerSecond { get; init; }

    /// <summary>p99 of the reads served in the second, in seconds; null when none was served.</summary>
    public double? ReadP99Seconds { get; init; }

    /// <summary>CPU utilisation of the busiest database server serving reads, 0 to 1; null where it cannot be read (a
    /// managed server, a container without the counters).</summary>
    public double? CpuUtilization { get; init; }

    /// <summary>Standbys serving reads (state <c>ready</c>).</summary>
    public int ReadyReplicas { get; init; }

    /// <summary>Standbys that are running: ready, lagging or starting (neither down nor draining). The law's replica
    /// count: a lagging standby catches up and must not be replaced, a dead one is no longer counted.</summary>
    public int LiveReplicas { get; init; }

    /// <summary>Share of reads shed in the second, 0 when there were no reads.</summary>
    public double ReadShedRatio =>
        ReadShedPerSecond + ReadAdmittedPerSecond > 0 ? ReadShedPerSecond / (ReadShedPerSecond + ReadAdmittedPerSecond) : 0;
}
