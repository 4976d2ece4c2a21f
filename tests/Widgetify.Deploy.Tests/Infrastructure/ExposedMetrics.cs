namespace Widgetify.Deploy.Tests.Infrastructure;

/// <summary>The metric names every Widgetify instance exposes at <c>GET /metrics</c> (issue 4's contract, issue 11's
/// replicas, slots and autoscaler, issue 12's pool settings review and issue 13's refused writes), plus the two series Prometheus makes itself. A rule or a panel may use these and the recording rules, nothing else.</summary>
public static class ExposedMetrics
{
    private static readonly string[] Histograms =
    [
        "http_server_request_duration_seconds",
        "widgetify_admission_queue_duration_seconds",
        "widgetify_pool_acquire_duration_seconds",
        "widgetify_pool_hold_duration_seconds",
        "db_client_operation_duration_seconds",
    ];

    private static readonly string[] Plain =
    [
        "widgetify_admission_limit", "widgetify_admission_in_flight", "widgetify_admission_queued",
        "widgetify_admission_admitted_total", "widgetify_admission_shed_total", "widgetify_admission_skipped_total",
        "widgetify_admission_cpu_lag_seconds",
        "widgetify_pool_budget", "widgetify_pool_share", "widgetify_pool_connections_held",
        "widgetify_pool_connections_waiting", "widgetify_pool_instances",
        "db_client_connections", "db_client_connection_max", "db_client_connection_npgsql_pending_requests",
        "db_client_connection_npgsql_timeouts_total",
        "postgresql_backends", "postgresql_connection_max", "postgresql_commits_total", "postgresql_rollbacks_total",
        "postgresql_deadlocks_total", "postgresql_longest_transaction_duration_seconds", "widgetify_database_up",
        "widgetify_database_write_failures_total",
        "postgresql_replication_slot_wal_retained_bytes", "postgresql_replication_slot_safe_wal_size_bytes",
        "postgresql_replication_slot_wal_keep_size_max_bytes",
        "postgresql_wal_archived_total", "postgresql_wal_archive_failures_total", "postgresql_wal_archive_failing",
        "widgetify_replica_lag_seconds", "widgetify_replica_lag_bytes", "widgetify_routing_reads_total", "widgetify_routing_retries_total",
        "widgetify_scaling_actions_total", "widgetify_replicas", "widgetify_scaling_saturation", "widgetify_scaling_leader",
        "widgetify_pool_review_findings", "widgetify_pool_review_runs_total",
    ];

    /// <summary>Series Prometheus writes itself: the scrape's health and the alerts' state.</summary>
    public static readonly IReadOnlySet<string> PrometheusOwn = new HashSet<string>(StringComparer.Ordinal) { "up", "ALERTS" };

    /// <summary>Every exposed name, histograms expanded to their <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series.</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(
        Plain.Concat(Histograms.SelectMany(h => new[] { h + "_bucket", h + "_sum", h + "_count" })), StringComparer.Ordinal);
}
