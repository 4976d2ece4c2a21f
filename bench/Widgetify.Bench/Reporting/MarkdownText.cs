using System.Globalization;
using System.Text;

namespace Widgetify.Bench.Reporting;

/// <summary>What the Markdown writers (storm.md, scale.md) share: lines in the invariant culture, table cells, verdicts.</summary>
internal static class MarkdownText
{
    /// <summary>A report's start: its title, then the command that made it and when, against which build of the service.</summary>
    public static StringBuilder Begin(string title, string commandLine, DateTimeOffset startedAt, string serviceVersion)
    {
        var md = new StringBuilder();
        Text(md, "# " + title);
        Text(md);
        Line(md, $"- Command: `{commandLine}`");
        Line(md, $"- Run: {startedAt:yyyy-MM-dd HH:mm} UTC; service {serviceVersion}");
        return md;
    }

    /// <summary>Appends a formatted line, numbers and dates in the invariant culture, and a newline.</summary>
    public static void Line(StringBuilder md, FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>Appends a line as it is, and a newline.</summary>
    public static void Text(StringBuilder md, string text = "") => md.Append(text).Append('\n');

    /// <summary>A table: the header, its separator, a line per row (cells as given: escape text with <see cref="Cell"/>).</summary>
    public static void Table(StringBuilder md, IReadOnlyList<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        Text(md, "| " + string.Join(" | ", header) + " |");
        Text(md, "|" + string.Concat(header.Select(_ => " --- |")));
        foreach (var row in rows)
        {
            Text(md, "| " + string.Join(" | ", row) + " |");
        }
    }

    /// <summary>A goal's verdict: met, missed (bold), or n/a when it could not be judged.</summary>
    public static string Verdict(bool? met) => met switch { true => "met", false => "**missed**", null => "n/a" };

    /// <summary>Text safe in a table cell: one line, pipes escaped, at most 300 characters.</summary>
    public static string Cell(string? text) =>
        (text ?? "").ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal) is var cell && cell.Length > 300 ? cell[..300] + "…" : cell;
}
