using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Widgetify.Observability.Metrics;

/// <summary>The three things the OpenTelemetry SDK and its Prometheus exporter do not do the way Widgetify needs, as
/// one view applied to every instrument (and so to every reader: the Prometheus exporter, OTLP and
/// <see cref="MetricsCollector"/> see the same streams).</summary>
internal static class MetricViews
{
    /// <summary>OpenTelemetry's recommended bounds for durations in seconds (the semantic conventions' advice for
    /// <c>http.server.request.duration</c>).</summary>
    public static IReadOnlyList<double> DefaultSeconds { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>The stream configuration for <paramref name="instrument"/>, or null to keep the SDK's defaults.</summary>
    /// <param name="instrument">The instrument being published.</param>
    /// <param name="meterFactory">The host's meter factory, or null to take meters of any factory.</param>
    public static MetricStreamConfiguration? Select(Instrument instrument, IMeterFactory? meterFactory)
    {
        // The SDK's listener takes every meter of a listed name in the process, whichever host's factory created it:
        // with several hosts in one process (integration tests) each would count the others' requests. Meters of
        // no factory (static ones, such as Npgsql's) are everyone's, as they are in Microsoft.Extensions.Diagnostics.
        if (meterFactory is not null && instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, meterFactory))
        {
            return MetricStreamConfiguration.Drop;
        }

        var name = AvoidCountSuffix(instrument);
        if (IsHistogram(instrument) && string.Equals(instrument.Unit, "s", StringComparison.Ordinal) && !HasBucketAdvice(instrument))
        {
            // The SDK's default bounds (0, 5, 10, ... 10000) are sized for milliseconds: a duration in seconds would
            // land in the first two buckets. The instrument's own advice, when it has some, wins.
            return new ExplicitBucketHistogramConfiguration { Name = name, Boundaries = [.. DefaultSeconds] };
        }

        return name is null ? null : new MetricStreamConfiguration { Name = name };
    }

    /// <summary>Prometheus keeps <c>_count</c> for histograms and summaries, and <c>promtool check metrics</c> rejects
    /// a gauge named like one, which the exporter would write for Npgsql's <c>db.client.connection.count</c>. A
    /// non-monotonic "&lt;thing&gt;.count" becomes "&lt;thing&gt;s" (<c>db.client.connections</c>), the name the
    /// rules and the dashboard have always read.</summary>
    private static string? AvoidCountSuffix(Instrument instrument)
    {
        const string Suffix = ".count";
        var name = instrument.Name;
        if (!name.EndsWith(Suffix, StringComparison.Ordinal) || name.Length == Suffix.Length || IsMonotonic(instrument))
        {
            return null;
        }

        var stem = name[..^Suffix.Length];
        return stem.EndsWith('s') ? stem : stem + "s";
    }

    private static bool IsMonotonic(Instrument instrument) =>
        IsHistogram(instrument) || Definition(instrument) == typeof(Counter<>) || Definition(instrument) == typeof(ObservableCounter<>);

    private static bool IsHistogram(Instrument instrument) => Definition(instrument) == typeof(Histogram<>);

    private static Type? Definition(Instrument instrument) =>
        instrument.GetType() is { IsGenericType: true } type ? type.GetGenericTypeDefinition() : null;

    private static bool HasBucketAdvice(Instrument instrument) => instrument switch
    {
        Histogram<double> h => h.Advice?.HistogramBucketBoundaries is not null,
        Histogram<float> h => h.Advice?.HistogramBucketBoundaries is not null,
        Histogram<long> h => h.Advice?.HistogramBucketBoundaries is not null,
        Histogram<int> h => h.Advice?.HistogramBucketBoundaries is not null,
        Histogram<short> h => h.Advice?.HistogramBucketBoundaries is not null,
        Histogram<byte> h => h.Advice?.HistogramBucketBoundaries is not null,
        Histogram<decimal> h => h.Advice?.HistogramBucketBoundaries is not null,
        _ => false,
    };
}
