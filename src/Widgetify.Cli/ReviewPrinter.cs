using System.Globalization;
using System.Text;
using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Cli;

/// <summary>The review for people: an aligned table for a terminal, or Markdown.</summary>
internal static class ReviewPrinter
{
    private static readonly string[] Headers = ["SEVERITY", "SERVER", "SETTING", "CURRENT", "RECOMMENDED"];

    /// <summary>One line per finding with its reason indented below it, after a line per server.</summary>
    public static string Table(ReviewReport report)
    {
        var text = new StringBuilder();
        Summary(text, report);
        if (report.Findings.Count == 0)
        {
            return text.AppendLine("No findings.").ToString();
        }

        var rows = report.Findings.Select(Cells).Prepend(Headers).ToList();
        var widths = Enumerable.Range(0, Headers.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, index) in rows.Select((row, index) => (row, index)))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            if (index > 0)
            {
                text.Append("    ").AppendLine(report.Findings[index - 1].Reason);
            }
        }

        return text.ToString();
    }

    /// <summary>A Markdown table of the findings.</summary>
    public static string Markdown(ReviewReport report)
    {
        var text = new StringBuilder("# Pool settings review\n\n");
        Summary(text, report);
        text.AppendLine();
        text.AppendLine("| severity | server | setting | current | recommended | reason |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var finding in report.Findings)
        {
            var cells = Cells(finding).Select(c => c.Replace("|", "\\|", StringComparison.Ordinal)).Append(finding.Reason.Replace("|", "\\|", StringComparison.Ordinal));
            text.Append("| ").AppendJoin(" | ", cells).AppendLine(" |");
        }

        return text.ToString();
    }

    private static void Summary(StringBuilder text, ReviewReport report)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"Reviewed at {report.GeneratedAt.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z for {report.Instances} instance(s).");
        foreach (var (settings, facts, history) in report.Servers)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {facts.Server} ({facts.Address}): max_connections {facts.MaxConnections}, reserved {facts.SuperuserReservedConnections + facts.ReservedConnections}, " +
                $"{facts.OtherClients} other client(s), pool {settings.MaxPoolSize?.ToString(CultureInfo.InvariantCulture) ?? "follows the budget"}, " +
                $"{history?.MinutesCovered ?? 0} minute(s) of history.");
        }

        var counts = report.Findings.GroupBy(f => f.Severity).OrderByDescending(g => g.Key)
            .Select(g => $"{g.Count()} {ReviewDocument.SeverityName(g.Key)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Findings: {(report.Findings.Count == 0 ? "none" : string.Join(", ", counts))}.");
    }

    private static string[] Cells(Finding finding) =>
    [
        ReviewDocument.SeverityName(finding.Severity), finding.Server, finding.Setting, Value(finding.Current), Value(finding.Recommended),
    ];

    private static string Value(object? value) => value is null ? "-" : Convert.ToString(value, CultureInfo.InvariantCulture)!;

    /// <summary>What <c>--apply</c> did: the settings changed (old and new values, where they were stored), the
    /// recommendations left to a human and why, and the review's verdict with the applied values in effect.</summary>
    public static string Applied(IReadOnlyList<AppliedSetting> stored, IReadOnlyList<string> notApplied, string? settingsFile, ReviewReport after)
    {
        var text = new StringBuilder().AppendLine();
        if (stored.Count == 0)
        {
            text.AppendLine("Applied: nothing (no recommendation is both safe to change at run time and different from the value in effect).");
        }
        else
        {
            text.AppendLine("Applied:");
            foreach (var s in stored)
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {s.Setting} on {s.Server}: {s.From?.ToString(CultureInfo.InvariantCulture) ?? "not set (follows the budget)"} -> {s.To}");
            }

            text.AppendLine(CultureInfo.InvariantCulture,
                $"  stored in PostgreSQL ({AppliedSettingsTable.Name}){(settingsFile is null ? "" : $" and in {settingsFile}")}; running instances adopt it without a restart within Widgetify:Review:AppliedSettingsPollInterval (15 s by default).");
        }

        if (notApplied.Count > 0)
        {
            text.AppendLine("Not applied:");
            foreach (var line in notApplied)
            {
                text.Append("  ").AppendLine(line);
            }
        }

        var critical = after.Findings.Count(f => f.Severity == FindingSeverity.Critical);
        return text.AppendLine(CultureInfo.InvariantCulture,
            $"With the applied settings: {critical} critical, {after.Findings.Count(f => f.Severity == FindingSeverity.Warning)} warning(s), {after.Findings.Count(f => f.Severity == FindingSeverity.Info)} info.").ToString();
    }
}
