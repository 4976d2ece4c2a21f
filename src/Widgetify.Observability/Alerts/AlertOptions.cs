using System.ComponentModel.DataAnnotations;

namespace Widgetify.Observability.Alerts;

/// <summary>Thresholds and durations of the in-process alert rules (configuration section
/// <c>Widgetify:Monitoring:Alerts</c>). A rule's condition must hold for its <c>...For</c> duration before it fires
/// (zero fires at once) and must stop holding for <see cref="ResolveAfter"/> before it resolves; each rule's runbook in
/// docs/runbooks/ explains its numbers.</summary>
public sealed class AlertOptions : IValidatableObject
{
    /// <summary>How long a firing alert's condition must stay false before it resolves, so a condition that flickers
    /// around its threshold does not page, resolve and page again.</summary>
    /// <value>Default 10 s; range 0 to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ResolveAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Resolved alerts kept for the API and the dashboard, newest first.</summary>
    /// <value>Default 100; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int RecentCapacity { get; set; } = 100;

    // --- ResponseTimeSpike ---

    /// <summary>ResponseTimeSpike: the window whose p99 is compared with the baseline.</summary>
    /// <value>Default 10 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SpikeWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>ResponseTimeSpike: how many times the baseline p99 the window's p99 must exceed.</summary>
    /// <value>Default 3; range 1.1 to 100.</value>
    [Range(1.1, 100)]
    public double SpikeFactor { get; set; } = 3;

    /// <summary>ResponseTimeSpike: a p99 at or under this many seconds never pages, however fast the baseline (a
    /// service at 2 ms going to 7 ms is not an emergency); before any baseline is learned it is the threshold.</summary>
    /// <value>Default 0.25 s; range 0.001 to 60.</value>
    [Range(0.001, 60)]
    public double SpikeFloorSeconds { get; set; } = 0.25;

    /// <summary>ResponseTimeSpike: how long the p99 must stay over the threshold before the alert fires.</summary>
    /// <value>Default 3 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan SpikeFor { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>ResponseTimeSpike: requests the window needs before its p99 means anything (with fewer than 100, p99 is the
    /// slowest single request: one client's cold-cache request after a restart paged with 10); windows with fewer
    /// neither alert nor teach the baseline.</summary>
    /// <value>Default 100; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int SpikeMinRequests { get; set; } = 100;

    /// <summary>ResponseTimeSpike: how long the baseline must have been learned (time spent in windows with
    /// <see cref="SpikeMinRequests"/> while the alert was inactive) before the rule may fire. Until then a slow p99 is
    /// only reported: right after a start, cold caches and first connections are slow, and there is no normal yet to
    /// call a spike. Overload at start-up still pages through ErrorBudgetBurn, ConnectionWaits and PoolSaturation.
    /// 0 judges by <see cref="SpikeFloorSeconds"/> alone until a baseline is learned.</summary>
    /// <value>Default 1 min; range 0 to 24 h.</value>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SpikeBaselineWarmup { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>ResponseTimeSpike: half-life of the baseline, an exponentially weighted average of the window p99
    /// learned while the alert is inactive: a window this old weighs half as much as the newest.</summary>
    /// <value>Default 5 min; range 10 s to 24 h.</value>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan BaselineHalfLife { get; set; } = TimeSpan.FromMinutes(5);

    // --- PoolSaturation ---

    /// <summary>PoolSaturation: connections in use over this instance's connection share, averaged over
    /// <see cref="PoolSaturationWindow"/>, at or above which the pool is saturated.</summary>
    /// <value>Default 0.9; range 0.1 to 1.</value>
    [Range(0.1, 1.0)]
    public double PoolSaturationRatio { get; set; } = 0.9;

    /// <summary>PoolSaturation: the window the ratio is averaged over.</summary>
    /// <value>Default 5 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PoolSaturationWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>PoolSaturation: how long the pool must stay saturated before the alert fires.</summary>
    /// <value>Default 5 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PoolSaturationFor { get; set; } = TimeSpan.FromSeconds(5);

    // --- ConnectionWaits ---

    /// <summary>ConnectionWaits: opens waiting for a connection in every second of this window fire the alert.</summary>
    /// <value>Default 5 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectionPendingWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>ConnectionWaits: the window of the acquire-wait p99 and of pool timeouts.</summary>
    /// <value>Default 10 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectionWaitWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>ConnectionWaits: a p99 time to get a connection above this many seconds fires the alert.</summary>
    /// <value>Default 0.1 s; range 0.001 to 60.</value>
    [Range(0.001, 60)]
    public double AcquireWaitP99Seconds { get; set; } = 0.1;

    /// <summary>ConnectionWaits: the p99 time to get a connection counts only over at least this many opens in
    /// <see cref="ConnectionWaitWindow"/>. A service that just started opens its first physical connections (an
    /// authentication handshake each, about 0.1 s): a handful of those is a cold start, not a shortage.</summary>
    /// <value>Default 20; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int AcquireWaitMinOpens { get; set; } = 20;

    /// <summary>ConnectionWaits: the p99 time to get a connection counts only when at least this share of the opens in
    /// <see cref="ConnectionWaitWindow"/> waited longer than <see cref="AcquireWaitP99Seconds"/>. Over a few dozen opens
    /// the p99 is the slowest one, so one slow open (a cold start's handshake: 1 of 22 paged) would page alone; a real
    /// shortage makes many opens wait.</summary>
    /// <value>Default 0.1; range 0 to 1.</value>
    [Range(0.0, 1.0)]
    public double AcquireWaitMinShare { get; set; } = 0.1;

    /// <summary>ConnectionWaits: how long the condition must hold before the alert fires; its windows already
    /// require persistence, and a pool timeout is a failed request.</summary>
    /// <value>Default 0; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ConnectionWaitsFor { get; set; } = TimeSpan.Zero;

    // --- DbConnectionsNearLimit ---

    /// <summary>DbConnectionsNearLimit: client connections on the server over its max_connections at or above which
    /// new connections (of any client) are about to be refused.</summary>
    /// <value>Default 0.8; range 0.1 to 1.</value>
    [Range(0.1, 1.0)]
    public double DbConnectionsRatio { get; set; } = 0.8;

    /// <summary>DbConnectionsNearLimit: how long the ratio must stay at or above the threshold before the alert fires.</summary>
    /// <value>Default 5 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DbConnectionsFor { get; set; } = TimeSpan.FromSeconds(5);

    // --- SheddingActive ---

    /// <summary>SheddingActive: the window the shed ratio is computed over.</summary>
    /// <value>Default 10 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ShedWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>SheddingActive: shed requests over completed requests above which the alert fires.</summary>
    /// <value>Default 0.01 (1%); range 0.0001 to 1.</value>
    [Range(0.0001, 1.0)]
    public double ShedRatio { get; set; } = 0.01;

    /// <summary>SheddingActive: how long the ratio must stay above the threshold before the alert fires.</summary>
    /// <value>Default 2 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShedFor { get; set; } = TimeSpan.FromSeconds(2);

    // --- ErrorBudgetBurn ---

    /// <summary>ErrorBudgetBurn: the burn rate (bad ratio over the error budget) that pages when both the 1 h and
    /// the 5 m window exceed it. 14.4 spends 2% of a 30-day budget in an hour (the SRE workbook's fast burn).</summary>
    /// <value>Default 14.4; range 1 to 1,000.</value>
    [Range(1.0, 1_000.0)]
    public double PageBurnRate { get; set; } = 14.4;

    /// <summary>ErrorBudgetBurn: the burn rate that opens a ticket when both the 6 h and the 30 m window exceed it.
    /// 6 spends 5% of a 30-day budget in 6 hours (the SRE workbook's slow burn).</summary>
    /// <value>Default 6; range 1 to 1,000; at most <see cref="PageBurnRate"/>.</value>
    [Range(1.0, 1_000.0)]
    public double TicketBurnRate { get; set; } = 6;

    /// <summary>ErrorBudgetBurn: requests the short window (5 m for the page, 30 m for the ticket) needs before its
    /// burn rate counts, so 1 failure among 3 requests does not page.</summary>
    /// <value>Default 100; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int BurnMinRequests { get; set; } = 100;

    /// <summary>ErrorBudgetBurn: how long a burn condition must hold before the alert fires; the short window is
    /// already the confirmation (the SRE workbook uses none).</summary>
    /// <value>Default 0; range 0 to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan BurnFor { get; set; } = TimeSpan.Zero;

    // --- DatabaseDown ---

    /// <summary>DatabaseDown: the database must have been unreachable in every second of this window.</summary>
    /// <value>Default 3 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DatabaseDownWindow { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>DatabaseDown: how long the condition must hold before the alert fires.</summary>
    /// <value>Default 0; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DatabaseDownFor { get; set; } = TimeSpan.Zero;

    // --- DatabaseWritesFailing ---

    /// <summary>DatabaseWritesFailing: the window in which writes refused for lack of resources or by failing storage
    /// (SQLSTATE class 53 or 58) are counted.</summary>
    /// <value>Default 10 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DatabaseWritesFailingWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>DatabaseWritesFailing: refused writes in the window at or above which the alert fires. More than one, so a
    /// single query that filled the temporary space with a sort does not page; a full disk refuses every write.</summary>
    /// <value>Default 3; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int DatabaseWritesFailingMinFailures { get; set; } = 3;

    /// <summary>DatabaseWritesFailing: how long the condition must hold before the alert fires.</summary>
    /// <value>Default 0; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DatabaseWritesFailingFor { get; set; } = TimeSpan.Zero;

    // --- WalArchivingFailing ---

    /// <summary>WalArchivingFailing: the window in which the archiver must have failed again. The archiver retries a
    /// failed segment three times, then waits up to a minute: a window of several minutes sees every stuck archiver.</summary>
    /// <value>Default 5 min; range 1 min to 1 h.</value>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan WalArchivingFailingWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>WalArchivingFailing: how long the archiver must stay failing before the alert fires; a failure the next
    /// attempt cures (a full archive disk freed at once) does not page.</summary>
    /// <value>Default 2 min; range 0 to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan WalArchivingFailingFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The rule single-field ranges cannot state: a ticket threshold above the page threshold would never
    /// show, since a page wins. Both the configuration validator and <see cref="AlertEvaluator"/> apply it.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TicketBurnRate > PageBurnRate)
        {
            yield return new ValidationResult(
                $"Widgetify:Monitoring:Alerts:TicketBurnRate ({TicketBurnRate}) must not exceed PageBurnRate ({PageBurnRate}): lower TicketBurnRate or raise PageBurnRate.",
                [nameof(TicketBurnRate), nameof(PageBurnRate)]);
        }
    }
}
