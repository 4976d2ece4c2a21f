namespace Widgetify.Observability.Metrics;

/// <summary>One instrument, as collected: its identity and every series it has.</summary>
public sealed class MetricFamily
{
    /// <summary>Creates a family.</summary>
    /// <param name="name">The instrument name, e.g. <c>http.server.request.duration</c>.</param>
    /// <param name="unit">The instrument's unit (UCUM, e.g. <c>s</c>, <c>{request}</c>), if any.</param>
    /// <param name="description">The instrument's description, if any.</param>
    /// <param name="meterName">The name of the meter that created the instrument.</param>
    /// <param name="kind">How the values aggregate.</param>
    /// <param name="series">The series, sorted by tags.</param>
    public MetricFamily(string name, string? unit, string? description, string meterName, MetricKind kind, IReadOnlyList<MetricSeries> series)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(meterName);
        ArgumentNullException.ThrowIfNull(series);
        Name = name;
        Unit = unit;
        Description = description;
        MeterName = meterName;
        Kind = kind;
        Series = series;
    }

    /// <summary>The instrument name, e.g. <c>http.server.request.duration</c>.</summary>
    public string Name { get; }

    /// <summary>The instrument's unit, if any.</summary>
    public string? Unit { get; }

    /// <summary>The instrument's description, if any.</summary>
    public string? Description { get; }

    /// <summary>The name of the meter that created the instrument.</summary>
    public string MeterName { get; }

    /// <summary>How the values aggregate.</summary>
    public MetricKind Kind { get; }

    /// <summary>The series, sorted by tags; empty when nothing was recorded (or observed in the latest collect).</summary>
    public IReadOnlyList<MetricSeries> Series { get; }
}
