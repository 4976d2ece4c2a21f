namespace Widgetify.PoolReview.History;

/// <summary>What one server's pools did over a range of minutes: the figures a reviewer sizes a pool from. By Little's
/// law a pool needs about <see cref="PeakOpenRate"/> x hold time connections; with <see cref="MaxHoldTimeP99Seconds"/>
/// that is a bound no minute of the range exceeded. Peaks and rates are one instance's (a pool is an instance's), except
/// <see cref="PeakInUseAllInstances"/>.</summary>
public sealed record ServerHistorySummary
{
    /// <summary>The server: <see cref="PoolHistory.PrimaryServer"/> or a standby's name.</summary>
    public required string Server { get; init; }

    /// <summary>Instances with minutes on this server in the range.</summary>
    public int Instances { get; init; }

    /// <summary>Distinct minutes with at least one instance's row: how much history the figures rest on.</summary>
    public int MinutesCovered { get; init; }

    /// <summary>Most connections one instance had in use at once.</summary>
    public int PeakInUse { get; init; }

    /// <summary>Most connections the instances had in use in one minute, each instance's peak of that minute summed: an
    /// upper bound of what the server saw from the fleet at once (the peaks need not coincide within the minute).</summary>
    public int PeakInUseAllInstances { get; init; }

    /// <summary>Most callers of one instance waiting for a connection at once.</summary>
    public int PeakWaiting { get; init; }

    /// <summary>The 99th percentile (nearest rank) of the minutes' acquire-wait p99, in seconds: a bad minute in a hundred
    /// is not the pool's normal; null when no minute timed an acquire (a standby's).</summary>
    public double? AcquireWaitP99Seconds { get; init; }

    /// <summary>The largest of the minutes' hold-time p99, in seconds; null when no minute timed a hold (a standby's).</summary>
    public double? MaxHoldTimeP99Seconds { get; init; }

    /// <summary>The highest of the minutes' request rates, per second; null on a standby (requests are the instance's).</summary>
    public double? PeakRequestRate { get; init; }

    /// <summary>The highest of the minutes' connection opens per second.</summary>
    public double PeakOpenRate { get; init; }

    /// <summary>Opens that timed out in the range; null when not counted (a standby's).</summary>
    public long? Timeouts { get; init; }

    /// <summary>One summary per server of <paramref name="minutes"/>, in server name order.</summary>
    internal static IReadOnlyList<ServerHistorySummary> Of(IReadOnlyList<PoolMinute> minutes) =>
        [.. minutes.GroupBy(m => m.Server, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(Summarize)];

    private static ServerHistorySummary Summarize(IGrouping<string, PoolMinute> server)
    {
        var waits = server.Where(m => m.AcquireWaitP99Seconds is not null).Select(m => m.AcquireWaitP99Seconds!.Value).Order().ToList();
        return new ServerHistorySummary
        {
            Server = server.Key,
            Instances = server.Select(m => m.Instance).Distinct(StringComparer.Ordinal).Count(),
            MinutesCovered = server.Select(m => m.Minute).Distinct().Count(),
            PeakInUse = server.Max(m => m.PeakInUse),
            PeakInUseAllInstances = server.GroupBy(m => m.Minute).Max(minute => minute.Sum(m => m.PeakInUse)),
            PeakWaiting = server.Max(m => m.PeakWaiting),
            // Nearest rank: the smallest value with at least 99% of the minutes at or below it.
            AcquireWaitP99Seconds = waits.Count == 0 ? null : waits[(int)Math.Ceiling(0.99 * waits.Count) - 1],
            MaxHoldTimeP99Seconds = server.Max(m => m.HoldTimeP99Seconds),
            PeakRequestRate = server.Max(m => m.RequestRate),
            PeakOpenRate = server.Max(m => m.OpenRate),
            Timeouts = server.Any(m => m.Timeouts is not null) ? server.Sum(m => m.Timeouts ?? 0) : null,
        };
    }
}
