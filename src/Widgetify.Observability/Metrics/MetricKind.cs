namespace Widgetify.Observability.Metrics;

/// <summary>What an instrument's values mean, which decides how they are aggregated and exposed.</summary>
public enum MetricKind
{
    /// <summary>A monotonic sum (<c>Counter&lt;T&gt;</c>, <c>ObservableCounter&lt;T&gt;</c>): a Prometheus counter
    /// with a <c>_total</c> suffix.</summary>
    Counter,

    /// <summary>A sum that can go down (<c>UpDownCounter&lt;T&gt;</c>, <c>ObservableUpDownCounter&lt;T&gt;</c>):
    /// a Prometheus gauge.</summary>
    UpDownCounter,

    /// <summary>The last value observed (<c>Gauge&lt;T&gt;</c>, <c>ObservableGauge&lt;T&gt;</c>): a Prometheus
    /// gauge.</summary>
    Gauge,

    /// <summary>A distribution in buckets (<c>Histogram&lt;T&gt;</c>): a Prometheus histogram.</summary>
    Histogram,
}
