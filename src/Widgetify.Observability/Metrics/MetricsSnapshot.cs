namespace Widgetify.Observability.Metrics;

/// <summary>Every listened instrument at one collect: an immutable copy the collector never touches again.</summary>
public sealed class MetricsSnapshot
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="families">The instruments, sorted by name then meter name.</param>
    public MetricsSnapshot(IReadOnlyList<MetricFamily> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        Families = families;
    }

    /// <summary>A snapshot without instruments.</summary>
    public static MetricsSnapshot Empty { get; } = new([]);

    /// <summary>The instruments, sorted by name then meter name.</summary>
    public IReadOnlyList<MetricFamily> Families { get; }

    /// <summary>The first instrument named <paramref name="instrumentName"/> (by meter name, when meters share
    /// instrument names), or null.</summary>
    /// <param name="instrumentName">The OpenTelemetry instrument name, e.g. <c>http.server.request.duration</c>.</param>
    public MetricFamily? Find(string instrumentName)
    {
        foreach (var family in Families)
        {
            if (string.Equals(family.Name, instrumentName, StringComparison.Ordinal))
            {
                return family;
            }
        }

        return null;
    }

    /// <summary>The instrument named <paramref name="instrumentName"/> of the meter <paramref name="meterName"/>, or
    /// null.</summary>
    /// <param name="meterName">The meter's name, e.g. <c>Npgsql</c>.</param>
    /// <param name="instrumentName">The OpenTelemetry instrument name.</param>
    public MetricFamily? Find(string meterName, string instrumentName)
    {
        foreach (var family in Families)
        {
            if (string.Equals(family.Name, instrumentName, StringComparison.Ordinal)
                && string.Equals(family.MeterName, meterName, StringComparison.Ordinal))
            {
                return family;
            }
        }

        return null;
    }
}
