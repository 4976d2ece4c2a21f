namespace Widgetify.Observability.Alerts;

/// <summary>DbConnectionsNearLimit (page): client connections on the server at or above
/// <see cref="AlertOptions.DbConnectionsRatio"/> of its max_connections, as last sampled: past the limit PostgreSQL
/// refuses every new connection, whoever opens it.</summary>
internal sealed class DbConnectionsNearLimitRule(AlertOptions options) : AlertRule("DbConnectionsNearLimit", AlertSeverity.Page, options.DbConnectionsFor)
{
    // The newest snapshot of the last evaluation interval: an older sample is not "now", and a failed sample (null)
    // must not keep a stale ratio alive.
    private static readonly TimeSpan Current = TimeSpan.FromSeconds(1);

    private readonly double _threshold = options.DbConnectionsRatio;

    public override RuleReading Read(SignalSpan span)
    {
        var latest = span.Last(Current) is { Count: > 0 } window ? window[^1] : null;
        if (latest is not { ServerConnections: { } connections, MaxConnections: { } max and > 0 })
        {
            return new RuleReading(false, Severity, "The server's connections were not sampled in the last second.", new Dictionary<string, double>());
        }

        var ratio = (double)connections / max;
        var values = new Dictionary<string, double>
        {
            ["server_connections"] = connections,
            ["max_connections"] = max,
            ["connections_ratio"] = ratio,
            ["threshold_ratio"] = _threshold,
        };
        if (latest.WidgetifyServerConnections is { } ours)
        {
            values["widgetify_server_connections"] = ours;
        }

        var summary = $"The server has {connections} client connections, {AlertText.Percent(ratio)} of max_connections {max} (threshold {AlertText.Percent(_threshold)}).";
        return new RuleReading(ratio >= _threshold, Severity, summary, values);
    }
}
