using System.Text;

namespace Widgetify.Observability.Metrics;

/// <summary>
/// OpenTelemetry names to Prometheus names, after the OpenTelemetry specification's "Prometheus and OpenMetrics
/// compatibility": <c>http.server.request.duration</c> (unit <c>s</c>, histogram) becomes
/// <c>http_server_request_duration_seconds</c>, the counter <c>widgetify.admission.shed</c> (unit <c>{request}</c>)
/// <c>widgetify_admission_shed_total</c>, and the tag <c>http.route</c> the label <c>http_route</c>.
/// </summary>
public static class PrometheusNames
{
    // The specification's unit table (UCUM to Prometheus words); units not listed are used as they are, sanitized.
    private static readonly Dictionary<string, string> s_units = new(StringComparer.Ordinal)
    {
        ["d"] = "days", ["h"] = "hours", ["min"] = "minutes", ["s"] = "seconds", ["ms"] = "milliseconds",
        ["us"] = "microseconds", ["ns"] = "nanoseconds", ["By"] = "bytes", ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes", ["GiBy"] = "gibibytes", ["TiBy"] = "tebibytes", ["KBy"] = "kilobytes",
        ["MBy"] = "megabytes", ["GBy"] = "gigabytes", ["TBy"] = "terabytes", ["m"] = "meters", ["V"] = "volts",
        ["A"] = "amperes", ["J"] = "joules", ["W"] = "watts", ["g"] = "grams", ["Cel"] = "celsius", ["Hz"] = "hertz",
        ["%"] = "percent",
    };

    // The denominators of "x/y" units: "By/s" is bytes_per_second.
    private static readonly Dictionary<string, string> s_perUnits = new(StringComparer.Ordinal)
    {
        ["s"] = "second", ["m"] = "minute", ["h"] = "hour", ["d"] = "day", ["w"] = "week", ["mo"] = "month",
        ["y"] = "year",
    };

    /// <summary>The Prometheus metric name of an instrument: invalid characters (anything but ASCII letters, digits
    /// and <c>_</c>; colons too, which are reserved for recording rules) become <c>_</c>, repeated <c>_</c> collapse,
    /// the unit's word is appended unless the name already ends with it (<c>s</c> <c>_seconds</c>, <c>ms</c>
    /// <c>_milliseconds</c>, <c>By</c> <c>_bytes</c>, <c>1</c> <c>_ratio</c> for gauges only; annotations in braces
    /// such as <c>{request}</c> add nothing), and monotonic counters end in <c>_total</c>.</summary>
    /// <param name="instrumentName">The OpenTelemetry instrument name.</param>
    /// <param name="unit">The instrument's UCUM unit, if any.</param>
    /// <param name="kind">The instrument's kind.</param>
    public static string MetricName(string instrumentName, string? unit, MetricKind kind)
    {
        ArgumentNullException.ThrowIfNull(instrumentName);
        var words = Words(instrumentName);
        if (kind == MetricKind.Counter && words.Count > 0 && words[^1] == "total")
        {
            words.RemoveAt(words.Count - 1); // re-added after the unit: "x.total" in seconds is x_seconds_total
        }

        var unitWords = Words(UnitText(unit, kind));
        if (unitWords.Count > 0 && !EndsWith(words, unitWords))
        {
            words.AddRange(unitWords);
        }

        AvoidReservedSuffix(words, kind);
        if (kind == MetricKind.Counter)
        {
            words.Add("total");
        }

        var name = words.Count == 0 ? "metric" : string.Join('_', words);
        return char.IsAsciiDigit(name[0]) ? "_" + name : name;
    }

    /// <summary>The Prometheus label name of a tag key: invalid characters become <c>_</c> (<c>http.route</c>
    /// <c>http_route</c>); a leading digit gets a <c>key_</c> prefix, and a leading <c>__</c> (reserved by
    /// Prometheus, as in <c>__name__</c>) a <c>key</c> prefix.</summary>
    /// <param name="tagKey">The OpenTelemetry tag key.</param>
    public static string LabelName(string tagKey)
    {
        ArgumentNullException.ThrowIfNull(tagKey);
        if (tagKey.Length == 0)
        {
            return "key";
        }

        var builder = new StringBuilder(tagKey.Length + 4);
        foreach (var c in tagKey)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        if (char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, "key_");
        }
        else if (builder.Length >= 2 && builder[0] == '_' && builder[1] == '_')
        {
            builder.Insert(0, "key");
        }

        return builder.ToString();
    }

    // Prometheus keeps _count, _sum and _bucket for histograms and summaries, and 'promtool check metrics' rejects a
    // gauge named like one. OpenTelemetry's own names do not avoid them (Npgsql's db.client.connection.count), so a
    // gauge "<thing>.count" becomes "<thing>s" (db_client_connections), and "_sum"/"_bucket" get "_value".
    private static void AvoidReservedSuffix(List<string> words, MetricKind kind)
    {
        if (kind is MetricKind.Histogram or MetricKind.Counter || words.Count == 0)
        {
            return;
        }

        switch (words[^1])
        {
            case "count" when words.Count > 1:
                words.RemoveAt(words.Count - 1);
                if (!words[^1].EndsWith('s'))
                {
                    words[^1] += "s";
                }

                break;
            case "count" or "sum" or "bucket":
                words.Add("value");
                break;
        }
    }

    private static string UnitText(string? unit, MetricKind kind)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return string.Empty;
        }

        var plain = StripAnnotations(unit).Trim();
        if (plain == "1")
        {
            return kind == MetricKind.Gauge ? "ratio" : string.Empty;
        }

        var slash = plain.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return UnitWord(plain, s_units);
        }

        var numerator = UnitWord(plain[..slash], s_units);
        var denominator = UnitWord(plain[(slash + 1)..], s_perUnits);
        return denominator.Length == 0 ? numerator
            : numerator.Length == 0 || numerator == "1" ? "per_" + denominator
            : numerator + "_per_" + denominator;
    }

    private static string UnitWord(string unit, Dictionary<string, string> words)
    {
        var trimmed = unit.Trim();
        return words.TryGetValue(trimmed, out var word) ? word : trimmed;
    }

    private static string StripAnnotations(string unit)
    {
        var builder = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>The name's words: runs of ASCII letters and digits, so invalid characters and repeated or outer
    /// underscores all disappear into the separators.</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsAsciiLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                words.Add(text[start..i]);
                start = -1;
            }
        }

        return words;
    }

    private static bool EndsWith(List<string> words, List<string> suffix)
    {
        if (suffix.Count > words.Count)
        {
            return false;
        }

        for (var i = 0; i < suffix.Count; i++)
        {
            if (words[words.Count - suffix.Count + i] != suffix[i])
            {
                return false;
            }
        }

        return true;
    }
}
