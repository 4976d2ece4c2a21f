namespace Widgetify.Bench.Tests.Detection;

/// <summary>Bodies of /api/alerts and /api/incidents as Widgetify.Api writes them (System.Text.Json web defaults:
/// camelCase, DateTimeOffset in ISO 8601 with its offset, nulls written), for a storm whose onset is 10:00:00 UTC.</summary>
internal static class MonitoringSamples
{
    public static readonly DateTimeOffset Onset = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    public static readonly Guid StormIncident = Guid.Parse("019aa6b1-3c52-7d10-9a2e-5b0f6c1d2e3f");

    /// <summary>0.4 s after onset: ConnectionWaits has been firing since the baseline; PoolSaturation is pending; an
    /// earlier ResponseTimeSpike resolved before onset.</summary>
    public const string AlertsAtOnset = """
        {"active":[
          {"name":"ConnectionWaits","severity":"ticket","state":"firing","pendingSince":"2026-11-21T09:59:57.0000000+00:00","firingSince":"2026-11-21T09:59:58.0000000+00:00","resolvedAt":null,
           "summary":"p99 wait for a pooled connection 0.142 s over 10 s (threshold 0.1 s)","values":{"acquire_wait_p99_seconds":0.142},"runbook":"docs/runbooks/ConnectionWaits.md"},
          {"name":"PoolSaturation","severity":"ticket","state":"pending","pendingSince":"2026-11-21T10:00:00.1000000+00:00","firingSince":null,"resolvedAt":null,
           "summary":"pool 92% of its 87-connection share over 5 s","values":{"pool_used_ratio":0.92},"runbook":"docs/runbooks/PoolSaturation.md"}],
         "recent":[
          {"name":"ResponseTimeSpike","severity":"page","state":"resolved","pendingSince":"2026-11-21T09:59:30.0000000+00:00","firingSince":"2026-11-21T09:59:33.0000000+00:00","resolvedAt":"2026-11-21T09:59:50.0000000+00:00",
           "summary":"p99 0.31 s over 10 s, 4.1x the 0.075 s baseline","values":{"p99_seconds":0.31,"baseline_p99_seconds":0.075},"runbook":"docs/runbooks/ResponseTimeSpike.md"}]}
        """;

    /// <summary>4 s after onset: SheddingActive fired at 2.1 s, ResponseTimeSpike at 3.2 s.</summary>
    public const string AlertsInStorm = """
        {"active":[
          {"name":"ResponseTimeSpike","severity":"page","state":"firing","pendingSince":"2026-11-21T10:00:00.2000000+00:00","firingSince":"2026-11-21T10:00:03.2000000+00:00","resolvedAt":null,
           "summary":"p99 1.84 s over 10 s, 12x the 0.15 s baseline","values":{"p99_seconds":1.84,"baseline_p99_seconds":0.15},"runbook":"docs/runbooks/ResponseTimeSpike.md"},
          {"name":"SheddingActive","severity":"ticket","state":"firing","pendingSince":"2026-11-21T10:00:00.1000000+00:00","firingSince":"2026-11-21T10:00:02.1000000+00:00","resolvedAt":null,
           "summary":"41% of requests shed over 10 s (threshold 1%)","values":{"shed_ratio":0.41},"runbook":"docs/runbooks/SheddingActive.md"},
          {"name":"ConnectionWaits","severity":"ticket","state":"firing","pendingSince":"2026-11-21T09:59:57.0000000+00:00","firingSince":"2026-11-21T09:59:58.0000000+00:00","resolvedAt":null,
           "summary":"p99 wait for a pooled connection 0.3 s over 10 s (threshold 0.1 s)","values":{"acquire_wait_p99_seconds":0.3},"runbook":"docs/runbooks/ConnectionWaits.md"}],
         "recent":[]}
        """;

    /// <summary>After the storm: everything resolved, including DbConnectionsNearLimit, which fired at 1.5 s and resolved
    /// at 3.0 s, between two polls, so no poll ever showed it active.</summary>
    public const string AlertsAfterStorm = """
        {"active":[],
         "recent":[
          {"name":"ResponseTimeSpike","severity":"page","state":"resolved","pendingSince":"2026-11-21T10:00:00.2000000+00:00","firingSince":"2026-11-21T10:00:03.2000000+00:00","resolvedAt":"2026-11-21T10:00:31.0000000+00:00",
           "summary":"p99 0.08 s over 10 s, 0.5x the 0.15 s baseline","values":{"p99_seconds":0.08},"runbook":"docs/runbooks/ResponseTimeSpike.md"},
          {"name":"SheddingActive","severity":"ticket","state":"resolved","pendingSince":"2026-11-21T10:00:00.1000000+00:00","firingSince":"2026-11-21T10:00:02.1000000+00:00","resolvedAt":"2026-11-21T10:00:29.0000000+00:00",
           "summary":"0% of requests shed over 10 s (threshold 1%)","values":{"shed_ratio":0},"runbook":"docs/runbooks/SheddingActive.md"},
          {"name":"ConnectionWaits","severity":"ticket","state":"resolved","pendingSince":"2026-11-21T09:59:57.0000000+00:00","firingSince":"2026-11-21T09:59:58.0000000+00:00","resolvedAt":"2026-11-21T10:00:20.0000000+00:00",
           "summary":"p99 wait for a pooled connection 0.01 s over 10 s (threshold 0.1 s)","values":{"acquire_wait_p99_seconds":0.01},"runbook":"docs/runbooks/ConnectionWaits.md"},
          {"name":"DbConnectionsNearLimit","severity":"page","state":"resolved","pendingSince":"2026-11-21T10:00:00.5000000+00:00","firingSince":"2026-11-21T10:00:01.5000000+00:00","resolvedAt":"2026-11-21T10:00:03.0000000+00:00",
           "summary":"PostgreSQL at 96% of max_connections","values":{"server_connections_ratio":0.96},"runbook":"docs/runbooks/DbConnectionsNearLimit.md"},
          {"name":"ResponseTimeSpike","severity":"page","state":"resolved","pendingSince":"2026-11-21T09:59:30.0000000+00:00","firingSince":"2026-11-21T09:59:33.0000000+00:00","resolvedAt":"2026-11-21T09:59:50.0000000+00:00",
           "summary":"p99 0.31 s over 10 s, 4.1x the 0.075 s baseline","values":{"p99_seconds":0.31},"runbook":"docs/runbooks/ResponseTimeSpike.md"}]}
        """;

    /// <summary>The storm's incident, mitigated at 7.4 s, not resolved yet; an older resolved incident; one opened by an
    /// earlier configuration at 09:58:10 and still open.</summary>
    public const string IncidentsMitigated = """
        {"items":[
          {"id":"019aa6b1-3c52-7d10-9a2e-5b0f6c1d2e3f","title":"DbConnectionsNearLimit: PostgreSQL at 96% of max_connections","status":"mitigated",
           "impactStartedAt":"2026-11-21T10:00:00.0000000+00:00","detectedAt":"2026-11-21T10:00:01.5000000+00:00","mitigatedAt":"2026-11-21T10:00:07.4000000+00:00","resolvedAt":null,
           "timeToDetectSeconds":1.5,"timeToMitigateSeconds":7.4,"timeToResolveSeconds":null,
           "alerts":["DbConnectionsNearLimit","SheddingActive","ResponseTimeSpike"],
           "impact":{"requests":41250,"failed":12,"shed":17310,"failedOrShedPercent":41.99,"clients":1987,"clientsAffected":1802,"clientsAffectedPercent":90.69,"clientsCapped":false},
           "postmortem":null},
          {"id":"019aa6af-0d11-7a20-8b3c-4d5e6f708192","title":"ResponseTimeSpike: p99 0.9 s over 10 s","status":"open",
           "impactStartedAt":"2026-11-21T09:58:05.0000000+00:00","detectedAt":"2026-11-21T09:58:10.0000000+00:00","mitigatedAt":null,"resolvedAt":null,
           "timeToDetectSeconds":5,"timeToMitigateSeconds":null,"timeToResolveSeconds":null,"alerts":["ResponseTimeSpike"],
           "impact":{"requests":900,"failed":0,"shed":0,"failedOrShedPercent":0,"clients":12,"clientsAffected":0,"clientsAffectedPercent":0,"clientsCapped":false},
           "postmortem":null},
          {"id":"019aa690-1111-7222-8333-444455556666","title":"SheddingActive: 12% of requests shed","status":"resolved",
           "impactStartedAt":"2026-11-21T09:40:00.0000000+00:00","detectedAt":"2026-11-21T09:40:02.0000000+00:00","mitigatedAt":"2026-11-21T09:40:06.0000000+00:00","resolvedAt":"2026-11-21T09:40:50.0000000+00:00",
           "timeToDetectSeconds":2,"timeToMitigateSeconds":6,"timeToResolveSeconds":50,"alerts":["SheddingActive"],
           "impact":{"requests":10000,"failed":0,"shed":1200,"failedOrShedPercent":12,"clients":400,"clientsAffected":300,"clientsAffectedPercent":75,"clientsCapped":false},
           "postmortem":"/var/lib/widgetify/postmortems/20261121-0940-019aa690.md"}]}
        """;

    /// <summary>The storm's incident resolved at 41 s, with the path of its draft (<c>{0}</c>).</summary>
    public static string IncidentsResolved(string? postmortem) => $$"""
        {"items":[
          {"id":"019aa6b1-3c52-7d10-9a2e-5b0f6c1d2e3f","title":"DbConnectionsNearLimit: PostgreSQL at 96% of max_connections","status":"resolved",
           "impactStartedAt":"2026-11-21T10:00:00.0000000+00:00","detectedAt":"2026-11-21T10:00:01.5000000+00:00","mitigatedAt":"2026-11-21T10:00:07.4000000+00:00","resolvedAt":"2026-11-21T10:00:41.0000000+00:00",
           "timeToDetectSeconds":1.5,"timeToMitigateSeconds":7.4,"timeToResolveSeconds":41,
           "alerts":["DbConnectionsNearLimit","SheddingActive","ResponseTimeSpike"],
           "impact":{"requests":52000,"failed":12,"shed":17310,"failedOrShedPercent":33.31,"clients":2000,"clientsAffected":1802,"clientsAffectedPercent":90.1,"clientsCapped":false},
           "postmortem":{{(postmortem is null ? "null" : System.Text.Json.JsonSerializer.Serialize(postmortem))}}}]}
        """;

    /// <summary>Rebases the samples' times on <paramref name="onset"/> (the poller's tests run against the real clock).</summary>
    public static string ShiftedTo(string json, DateTimeOffset onset)
    {
        var shift = onset - Onset;
        return System.Text.RegularExpressions.Regex.Replace(json, "\"(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+\\+00:00)\"", m =>
            "\"" + DateTimeOffset.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).Add(shift).ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\"");
    }
}
