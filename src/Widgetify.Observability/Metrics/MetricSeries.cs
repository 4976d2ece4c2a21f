namespace Widgetify.Observability.Metrics;

/// <summary>One tag set of an instrument, as collected.</summary>
public sealed class MetricSeries
{
    private readonly KeyValuePair<string, string>[] _tags;

    /// <summary>Creates a series.</summary>
    /// <param name="tags">The tags, sorted by key (ordinal), keys unique; not copied.</param>
    /// <param name="value">The value; for a histogram, its <see cref="HistogramValue.Count"/>.</param>
    /// <param name="histogram">The buckets of a histogram series; null otherwise.</param>
    public MetricSeries(KeyValuePair<string, string>[] tags, double value, HistogramValue? histogram = null)
    {
        ArgumentNullException.ThrowIfNull(tags);
        _tags = tags;
        Value = value;
        Histogram = histogram;
    }

    /// <summary>The tags, sorted by key (ordinal); values as invariant-culture strings (booleans lowercase).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags => _tags;

    /// <summary>A counter's or up-down counter's sum since listening began, or a gauge's or observable
    /// instrument's last value; for a histogram, the number of observations.</summary>
    public double Value { get; }

    /// <summary>The buckets, for a histogram series.</summary>
    public HistogramValue? Histogram { get; }

    /// <summary>The value of the tag <paramref name="key"/>, or null when the series has no such tag.</summary>
    /// <param name="key">The tag key (OpenTelemetry spelling, e.g. <c>http.route</c>).</param>
    public string? Tag(string key)
    {
        foreach (var tag in _tags)
        {
            if (string.Equals(tag.Key, key, StringComparison.Ordinal))
            {
                return tag.Value;
            }
        }

        return null;
    }
}
