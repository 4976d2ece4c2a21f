using System.Globalization;

namespace Widgetify.Observability.Alerts;

/// <summary>WalArchivingFailing (page): the primary's WAL archiver keeps failing (<c>pg_stat_archiver.failed_count</c>
/// rose within <see cref="AlertOptions.WalArchivingFailingWindow"/> and its last failure is after its last success). Nothing
/// else notices: writes go on, but point-in-time restore stops at the last archived segment (the RPO grows by the
/// minute), and the server keeps every unarchived segment in pg_wal until its disk is full.</summary>
internal sealed class WalArchivingFailingRule(AlertOptions options)
    : AlertRule("WalArchivingFailing", AlertSeverity.Page, options.WalArchivingFailingFor)
{
    private readonly TimeSpan _window = options.WalArchivingFailingWindow;

    public override RuleReading Read(SignalSpan span)
    {
        var window = span.Last(_window);
        var failures = window.Sum(s => s.WalArchiveFailures);
        var latest = window.LastOrDefault(s => s.WalArchiveFailing is not null);
        var failing = latest?.WalArchiveFailing == true;
        var values = new Dictionary<string, double>
        {
            ["failed_attempts"] = failures,
            ["failing"] = failing ? 1 : 0,
            ["window_seconds"] = _window.TotalSeconds,
        };
        var holds = failing && failures > 0;
        var summary = holds
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"PostgreSQL could not archive WAL segment {latest!.WalArchiveFailedSegment ?? "(unknown)"}: {failures} failed attempt(s) in the last {AlertText.Duration(_window)} and none archived since. Point-in-time restore stops at the last archived segment and pg_wal grows until it is fixed: see the server log for the archive_command's error (disk full, permissions, a different file of the same name).")
            : $"The WAL archiver {(latest is null ? "is not sampled (archiving off, or a standby)" : "archives")}; {failures} failed attempt(s) in the last {AlertText.Duration(_window)}.";
        return new RuleReading(holds, Severity, summary, values);
    }
}
