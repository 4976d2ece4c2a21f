using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Alerts;

/// <summary>ConnectionWaits (page): requests wait for database connections. Any of: opens pending in every second of
/// <see cref="AlertOptions.ConnectionPendingWindow"/>; a p99 time to get a connection over
/// <see cref="AlertOptions.ConnectionWaitWindow"/> above <see cref="AlertOptions.AcquireWaitP99Seconds"/>, over at least
/// <see cref="AlertOptions.AcquireWaitMinOpens"/> opens of which at least <see cref="AlertOptions.AcquireWaitMinShare"/>
/// waited that long; a pool
/// open timeout in that window (a request failed for want of a connection).</summary>
internal sealed class ConnectionWaitsRule(AlertOptions options) : AlertRule("ConnectionWaits", AlertSeverity.Page, options.ConnectionWaitsFor)
{
    private readonly TimeSpan _pendingWindow = options.ConnectionPendingWindow;
    private readonly TimeSpan _waitWindow = options.ConnectionWaitWindow;
    private readonly double _waitThreshold = options.AcquireWaitP99Seconds;
    private readonly int _minOpens = options.AcquireWaitMinOpens;
    private readonly double _minShare = options.AcquireWaitMinShare;

    public override RuleReading Read(SignalSpan span)
    {
        var pendingWindow = span.Last(_pendingWindow);
        var alwaysPending = SignalSpan.Covers(pendingWindow, _pendingWindow) && pendingWindow.All(s => s.PoolPending > 0);
        var secondsPending = pendingWindow.Count(s => s.PoolPending > 0);
        var waitWindow = span.Last(_waitWindow);
        var waits = waitWindow.AcquireWait();
        var p99 = waits.Quantile(0.99);
        var timeouts = waitWindow.Sum(s => s.PoolTimeouts);
        var waited = waits.CountAbove(_waitThreshold);
        var slow = p99 > _waitThreshold && waits.Count >= _minOpens && waited >= _minShare * waits.Count;

        var values = new Dictionary<string, double>
        {
            ["seconds_with_pending_opens"] = secondsPending,
            ["pending_opens_now"] = pendingWindow.Count > 0 ? pendingWindow[^1].PoolPending : 0,
            ["acquire_wait_p99_seconds"] = p99 ?? 0,
            ["opens"] = waits.Count,
            // The postmortem's evidence counts the same opens (SignalSnapshot.OpensWaited), so the two cannot disagree.
            ["opens_waited"] = waitWindow.Sum(s => s.OpensWaited(_waitThreshold)),
            ["threshold_seconds"] = _waitThreshold,
            ["pool_timeouts"] = timeouts,
        };
        var causes = new List<string>();
        if (alwaysPending)
        {
            causes.Add($"opens waited for a connection in every second of the last {AlertText.Duration(_pendingWindow)}");
        }

        if (slow)
        {
            causes.Add($"p99 time to get a connection {AlertText.Seconds(p99!.Value)} over {AlertText.Duration(_waitWindow)} is above {AlertText.Seconds(_waitThreshold)} ({waited} of {waits.Count} opens waited longer)");
        }

        if (timeouts > 0)
        {
            causes.Add($"{timeouts} pool open timeout(s) in the last {AlertText.Duration(_waitWindow)}");
        }

        var summary = causes.Count > 0
            ? Capitalize(string.Join("; ", causes)) + "."
            : $"Opens waited in {secondsPending} of the last {AlertText.Duration(_pendingWindow)}, p99 time to get a connection " +
                $"{(p99 is { } w ? AlertText.Seconds(w) : "unknown")} (threshold {AlertText.Seconds(_waitThreshold)}), no pool timeout in {AlertText.Duration(_waitWindow)}.";
        return new RuleReading(causes.Count > 0, Severity, summary, values);
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
