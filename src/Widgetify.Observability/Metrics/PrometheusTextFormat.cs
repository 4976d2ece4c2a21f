using System.Globalization;
using System.Text;

namespace Widgetify.Observability.Metrics;

/// <summary>
/// Writes a <see cref="MetricsSnapshot"/> in the Prometheus text exposition format 0.0.4, clean under
/// <c>promtool check metrics</c>: every family gets <c># HELP</c> and <c># TYPE</c> (counter, gauge or histogram),
/// histograms cumulative <c>_bucket{le="…"}</c> lines ending at <c>+Inf</c> then <c>_sum</c> and <c>_count</c>, and
/// every sample the constant labels (e.g. <c>service_name</c>, <c>service_instance_id</c>). Families are sorted by
/// name; one without series is left out; when two instruments map to one Prometheus name only the first is written,
/// since Prometheus rejects a repeated <c>TYPE</c>. A tag whose label name is taken by a constant label, or is
/// <c>le</c> or <c>quantile</c> (promtool rejects those outside histogram buckets and summaries), is written as
/// <c>exported_</c> plus the name, as Prometheus renames scraped labels that clash with target labels; tags that map
/// to one label name share it, their values joined with <c>;</c>.
/// </summary>
public static class PrometheusTextFormat
{
    /// <summary>The Content-Type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="writer"/>.</summary>
    /// <param name="snapshot">The metrics.</param>
    /// <param name="writer">Where to write; lines end in <c>\n</c> whatever the platform.</param>
    /// <param name="constantLabels">Labels for every sample; names are made valid as tag keys are.</param>
    /// <exception cref="ArgumentException">Two constant labels have the same name.</exception>
    public static void Write(MetricsSnapshot snapshot, TextWriter writer, IReadOnlyList<KeyValuePair<string, string>> constantLabels)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(constantLabels);

        var constant = new List<KeyValuePair<string, string>>(constantLabels.Count);
        foreach (var label in constantLabels)
        {
            var name = PrometheusNames.LabelName(label.Key);
            if (constant.Exists(c => c.Key == name))
            {
                throw new ArgumentException($"Two constant labels are named '{name}'; give each a distinct name.", nameof(constantLabels));
            }

            constant.Add(new(name, label.Value ?? string.Empty));
        }

        var families = snapshot.Families
            .Where(f => f.Series.Count > 0)
            .Select(f => (Name: PrometheusNames.MetricName(f.Name, f.Unit, f.Kind), Family: f))
            .OrderBy(f => f.Name, StringComparer.Ordinal); // stable: equal names keep the snapshot's order
        var written = new HashSet<string>(StringComparer.Ordinal);
        var line = new StringBuilder(256);
        foreach (var (name, family) in families)
        {
            if (written.Add(name))
            {
                WriteFamily(writer, line, name, family, constant);
            }
        }
    }

    /// <summary>The exposition of <paramref name="snapshot"/> as a string.</summary>
    /// <param name="snapshot">The metrics.</param>
    /// <param name="constantLabels">Labels for every sample.</param>
    public static string ToText(MetricsSnapshot snapshot, IReadOnlyList<KeyValuePair<string, string>> constantLabels)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(snapshot, writer, constantLabels);
        return writer.ToString();
    }

    private static void WriteFamily(TextWriter writer, StringBuilder line, string name, MetricFamily family, List<KeyValuePair<string, string>> constant)
    {
        var help = string.IsNullOrWhiteSpace(family.Description)
            ? $"{family.Name} from meter {family.MeterName}."
            : family.Description;
        writer.Write($"# HELP {name} {EscapeHelp(help)}\n");
        writer.Write($"# TYPE {name} {TypeName(family.Kind)}\n");

        var isHistogram = family.Kind == MetricKind.Histogram;
        foreach (var series in family.Series)
        {
            var labels = Labels(series.Tags, constant);
            if (isHistogram && series.Histogram is { } histogram)
            {
                long cumulative = 0;
                for (var i = 0; i < histogram.Counts.Count; i++)
                {
                    cumulative += histogram.Counts[i];
                    var le = i < histogram.UpperBounds.Count ? FormatNumber(histogram.UpperBounds[i]) : "+Inf";
                    WriteSample(writer, line, name + "_bucket", labels, $"le=\"{le}\"", cumulative.ToString(CultureInfo.InvariantCulture));
                }

                WriteSample(writer, line, name + "_sum", labels, null, FormatNumber(histogram.Sum));
                WriteSample(writer, line, name + "_count", labels, null, histogram.Count.ToString(CultureInfo.InvariantCulture));
            }
            else if (!isHistogram)
            {
                WriteSample(writer, line, name, labels, null, FormatNumber(series.Value));
            }
        }
    }

    private static void WriteSample(TextWriter writer, StringBuilder line, string name, string labels, string? extraLabel, string value)
    {
        line.Clear().Append(name);
        if (labels.Length > 0 || extraLabel is not null)
        {
            line.Append('{').Append(labels);
            if (extraLabel is not null)
            {
                line.Append(labels.Length > 0 ? "," : string.Empty).Append(extraLabel);
            }

            line.Append('}');
        }

        line.Append(' ').Append(value).Append('\n');
        writer.Write(line);
    }

    /// <summary>The series' label text (<c>a="x",b="y"</c>), constant labels first.</summary>
    private static string Labels(IReadOnlyList<KeyValuePair<string, string>> tags, List<KeyValuePair<string, string>> constant)
    {
        var labels = new List<KeyValuePair<string, string>>(tags.Count);
        foreach (var tag in tags)
        {
            var name = PrometheusNames.LabelName(tag.Key);
            if (name is "le" or "quantile" || constant.Exists(c => c.Key == name))
            {
                name = "exported_" + name;
            }

            labels.Add(new(name, tag.Value));
        }

        // Stable, so tags that map to one label name join their values in tag-key order.
        var ordered = labels.OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        var text = new StringBuilder();
        foreach (var label in constant)
        {
            AppendLabel(text, label.Key, label.Value);
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            var value = ordered[i].Value;
            while (i + 1 < ordered.Count && ordered[i + 1].Key == ordered[i].Key)
            {
                value += ";" + ordered[++i].Value;
            }

            AppendLabel(text, ordered[i].Key, value);
        }

        return text.ToString();
    }

    private static void AppendLabel(StringBuilder text, string name, string value)
    {
        if (text.Length > 0)
        {
            text.Append(',');
        }

        text.Append(name).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }

        text.Append('"');
    }

    private static string EscapeHelp(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    private static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };

    /// <summary>A sample value or bound as Prometheus spells it: invariant, shortest round-trip, <c>+Inf</c>,
    /// <c>-Inf</c>, <c>NaN</c>.</summary>
    internal static string FormatNumber(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
