using System.Globalization;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Postmortems;

/// <summary>A hypothesis for what caused an incident, scored from the signals.</summary>
/// <param name="Name">The hypothesis.</param>
/// <param name="Score">0 to 100: the sum of the points its rule gives, clamped.</param>
/// <param name="Rule">How the score is made, so a reader can check it.</param>
/// <param name="For">Evidence for it.</param>
/// <param name="Against">Evidence against it.</param>
/// <param name="Tasks">What to do if it is the cause: tasks naming the settings to review.</param>
internal sealed record RootCauseCandidate(
    string Name, int Score, string Rule, IReadOnlyList<string> For, IReadOnlyList<string> Against, IReadOnlyList<string> Tasks);

/// <summary>Scores the usual suspects from an incident's signals, highest first. The rules are deliberately simple
/// and written into the draft: they rank where to look first, a human confirms.</summary>
internal static class RootCauseRanking
{
    private static readonly string[] PoolAlerts = ["PoolSaturation", "ConnectionWaits", "DbConnectionsNearLimit"];

    public static IReadOnlyList<RootCauseCandidate> Rank(IncidentSeries series) =>
        new[] { PoolSaturation(series), SlowQueries(series), TrafficSpike(series), DatabaseDown(series), DatabaseCannotWrite(series), PoolSettings(series) }
            .OrderByDescending(c => c.Score)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

    private static RootCauseCandidate PoolSaturation(IncidentSeries s)
    {
        var @for = new List<string>();
        var against = new List<string>();
        double score = 35 * s.SaturatedFraction + 25 * s.WaitedFraction;
        if (s.PeakOf(x => x.Share > 0 ? (double)x.PoolUsed / x.Share : null) is { } used)
        {
            (s.SaturatedFraction >= 0.1 ? @for : against).Add(F(
                $"The pool was at its share in {s.SaturatedFraction:0%} of the seconds (peak {used.PoolUsed} in use of a share of {used.Share} at {PostmortemFormat.Clock(s, used.At)})."));
        }

        if (s.PeakOf(x => x.OpensWaited) is { OpensWaited: > 0 } waited)
        {
            @for.Add(F($"Connection opens waited in {s.WaitedFraction:0%} of the seconds (peak {waited.OpensWaited} opens waited in the second to {PostmortemFormat.Clock(s, waited.At)})."));
        }
        else
        {
            against.Add("No connection open ever waited.");
        }

        if (s.PeakServerConnectionRatio is { } ratio)
        {
            var peak = s.PeakOf(x => x.ServerConnections)!;
            var line = F($"Server connections peaked at {peak.ServerConnections} of max_connections {peak.MaxConnections} ({ratio:0%}) at {PostmortemFormat.Clock(s, peak.At)}.");
            if (ratio >= 0.9)
            {
                score += 25;
                @for.Add(line);
            }
            else if (ratio >= 0.75)
            {
                score += 12;
                @for.Add(line);
            }
            else
            {
                against.Add(line);
            }
        }

        var alerts = PoolAlerts.Where(s.AlertFired).ToList();
        if (alerts.Count > 0)
        {
            score += 15;
            @for.Add($"Alerts fired: {string.Join(", ", alerts)}.");
        }

        if (s.DownFraction > 0.5)
        {
            score -= 30;
            against.Add("The database was down for most of it: connections could not be opened at all, whatever the pool size.");
        }

        return new RootCauseCandidate("Pool saturation / connection exhaustion", Clamp(score),
            "35 x share of seconds with the pool at >= 90% of its share + 25 x share of seconds in which a connection open waited (as ConnectionWaits counts them) + 25 when server connections reached 90% of max_connections (12 at 75%) + 15 when a pool alert fired - 30 when the database was down most of the time.",
            @for, against,
            [
                F($"- [ ] Task: Review the connection budget and pool size: `Widgetify:ConnectionBudget:ReservedForOtherClients`, `Widgetify:Database:MaxPoolSize` and PostgreSQL `max_connections` (peak {s.PeakOf(x => x.ServerConnections)?.ServerConnections?.ToString(CultureInfo.InvariantCulture) ?? "n/a"} server connections)."),
                "- [ ] Task: Check that no client outside the budget (psql, cron jobs, a second deployment) holds connections: `pg_stat_activity` grouped by `application_name`.",
                "- [ ] Task: Review the thresholds of the PoolSaturation, ConnectionWaits and DbConnectionsNearLimit alerts so that they fire before users notice.",
            ]);
    }

    private static RootCauseCandidate SlowQueries(IncidentSeries s)
    {
        var @for = new List<string>();
        var against = new List<string>();
        double score = 40 * s.SlowUnsaturatedFraction;
        if (s.SlowUnsaturatedFraction > 0)
        {
            @for.Add(F($"Served p99 was over the {s.Report.SloLatencyP99Seconds:0.###} s objective while the pool had headroom in {s.SlowUnsaturatedFraction:0%} of the seconds."));
        }

        if (s.PeakOf(x => x.LongestTransactionSeconds) is { LongestTransactionSeconds: { } longest } peak)
        {
            var line = F($"The longest open transaction reached {longest:0.#} s at {PostmortemFormat.Clock(s, peak.At)}.");
            if (longest >= 5)
            {
                score += 30;
                @for.Add(line);
            }
            else if (longest >= 1)
            {
                score += 15;
                @for.Add(line);
            }
            else
            {
                against.Add(line);
            }
        }

        var deadlocks = s.During.Sum(x => x.Deadlocks);
        if (deadlocks > 0)
        {
            score += 20;
            @for.Add(F($"{deadlocks} deadlock(s)."));
        }

        var rollbacks = s.During.Sum(x => x.Rollbacks);
        var transactions = rollbacks + s.During.Sum(x => x.Commits);
        if (transactions > 0 && (double)rollbacks / transactions > 0.05)
        {
            score += 10;
            @for.Add(F($"{(double)rollbacks / transactions:0.0%} of transactions rolled back ({rollbacks:N0})."));
        }

        if (deadlocks == 0 && rollbacks == 0 && s.PeakOf(x => x.LongestTransactionSeconds)?.LongestTransactionSeconds is null or < 1)
        {
            against.Add("No transaction stayed open 1 s or more, no deadlock, no rollback.");
        }

        if (s.SaturatedFraction >= 0.5)
        {
            score -= 15;
            against.Add("The pool was saturated most of the time: slow requests may have been waiting for a connection rather than for their queries.");
        }

        return new RootCauseCandidate("Slow queries / lock contention", Clamp(score),
            "40 x share of seconds with served p99 over the objective while the pool had headroom + 30 when a transaction stayed open 5 s (15 at 1 s) + 20 for deadlocks + 10 when over 5% of transactions rolled back - 15 when the pool was saturated half the time.",
            @for, against,
            [
                "- [ ] Task: Find the slow statements and long transactions (`pg_stat_statements`, `log_min_duration_statement`, `log_lock_waits`) and fix or index them.",
                "- [ ] Task: Review `statement_timeout`, `idle_in_transaction_session_timeout` and `Widgetify:Database:CommandTimeoutSeconds` so that one slow query cannot hold a connection for long.",
            ]);
    }

    private static RootCauseCandidate TrafficSpike(IncidentSeries s)
    {
        var @for = new List<string>();
        var against = new List<string>();
        double score = 0;
        // While the database does not answer, clients retrying their refused requests raise the rate and admission sheds for
        // want of connections: both are what the outage did, not a spike that caused it. A spike that caused it came first,
        // so only the seconds before the first outage (3 s in a row without an answer) are read for the rate and shedding.
        var outage = s.OutageStart;
        var beforeDown = outage is { } o ? s.During.Where(x => x.At < o).ToList() : [.. s.During];
        var peak = beforeDown.Count == 0 ? null : beforeDown.MaxBy(x => x.Requests);
        if (outage is not null)
        {
            against.Add(beforeDown.Count == 0
                ? "The database stopped answering in the first second of the impact: there is no request rate before it to call a spike."
                : F($"The database stopped answering {beforeDown.Count} s into the impact: only the rate and shedding before that are counted (retries and sheds for want of a database came after)."));
        }

        if (s.BaselineRate is { } baseline && baseline > 0 && peak is not null)
        {
            var ratio = peak.Requests / baseline;
            var line = F($"Requests peaked at {peak.Requests:N0}/s at {PostmortemFormat.Clock(s, peak.At)}, {ratio:0.0}x the {baseline:0.#}/s before the impact.");
            if (ratio >= 2)
            {
                score += 40;
                @for.Add(line);
            }
            else if (ratio >= 1.5)
            {
                score += 20;
                @for.Add(line);
            }
            else
            {
                score -= ratio < 1.2 ? 20 : 0;
                against.Add(line + " That is no spike.");
            }
        }
        else if (peak is not null)
        {
            against.Add("No baseline before the impact to compare the request rate with.");
        }

        var requestsBeforeDown = beforeDown.Sum(x => x.Requests);
        var shedPercent = requestsBeforeDown == 0 ? 0 : 100.0 * beforeDown.Sum(x => x.Shed) / requestsBeforeDown;
        if (shedPercent >= 1)
        {
            score += 30 * Math.Min(1, shedPercent / 5);
            @for.Add(F($"Admission control shed {shedPercent:0.0}% of requests{(outage is null ? "" : " before the database stopped answering")}: more arrived than the service could take."));
        }

        // A pool is "healthy" trivially while no connection can be opened at all.
        if (s.SaturatedFraction < 0.2 && s.WaitedFraction < 0.2 && outage is null)
        {
            score += 20;
            @for.Add("The pool stayed healthy: the overload was held at the front door, not in the database.");
        }

        if (s.AlertFired("SheddingActive"))
        {
            score += 10;
            @for.Add("SheddingActive fired.");
        }

        return new RootCauseCandidate("Traffic spike", Clamp(score),
            "40 when the peak request rate was 2x the rate before the impact (20 at 1.5x, -20 under 1.2x) + up to 30 for shedding (full at 5% of requests) + 20 when the pool stayed healthy and the database never stopped answering + 10 when SheddingActive fired; rate and shedding read only before the database first stopped answering for 3 s or more.",
            @for, against,
            [
                F($"- [ ] Task: Review admission control (`Widgetify:Admission:MaxLimit`, `MinLimit`, `QueueCapacity`) and the instance count for a peak of {peak?.Requests.ToString("N0", CultureInfo.InvariantCulture) ?? "n/a"} requests/s."),
                "- [ ] Task: Replay the peak with the storm benchmark (`bench/`) and check that shedding keeps the served p99 within the objective.",
            ]);
    }

    private static RootCauseCandidate DatabaseDown(IncidentSeries s)
    {
        var @for = new List<string>();
        var against = new List<string>();
        double score = 70 * s.DownFraction;
        if (s.DownSeconds > 0)
        {
            var first = s.During.First(x => !x.DatabaseUp);
            @for.Add(F($"The database did not answer for {s.DownSeconds} s ({s.DownFraction:0%} of the incident), first at {PostmortemFormat.Clock(s, first.At)}."));
        }
        else
        {
            against.Add("The database answered every second.");
        }

        if (s.AlertFired("DatabaseDown"))
        {
            score += 30;
            @for.Add("DatabaseDown fired.");
        }

        return new RootCauseCandidate("Database down", Clamp(score),
            "70 x share of seconds the database did not answer + 30 when DatabaseDown fired.",
            @for, against,
            [
                "- [ ] Task: Find why PostgreSQL stopped answering (server log, OOM killer, disk full, failover) and follow docs/runbooks/DatabaseDown.md.",
                "- [ ] Task: Review the replica and failover setup so that the primary is not a single point of failure.",
            ]);
    }

    /// <summary>The server answered but refused writes for lack of disk, memory or connection slots, or by failing storage:
    /// only the alert knows (the samples do not keep write failures), and its summary names the SQLSTATE.</summary>
    private static RootCauseCandidate DatabaseCannotWrite(IncidentSeries s)
    {
        var @for = new List<string>();
        var against = new List<string>();
        double score = 0;
        if (s.AlertFired("DatabaseWritesFailing"))
        {
            score += 90;
            @for.Add(s.Report.Incident.DetectedBy == "DatabaseWritesFailing"
                ? $"DatabaseWritesFailing detected the incident: {s.Report.Incident.DetectionSummary}"
                : "DatabaseWritesFailing fired.");
        }
        else
        {
            against.Add("DatabaseWritesFailing did not fire: PostgreSQL refused no write for lack of resources or by failing storage.");
        }

        return new RootCauseCandidate("Database cannot write", Clamp(score),
            "90 when DatabaseWritesFailing fired (PostgreSQL refused writes with SQLSTATE class 53 or 58).",
            @for, against,
            [
                "- [ ] Task: Find what ran out on the database server (disk, memory, connection slots) or which storage failed, and follow docs/runbooks/DatabaseWritesFailing.md.",
                "- [ ] Task: Alert on the database host's free disk space before writes fail (the server's filesystem metrics, e.g. node_exporter's).",
            ]);
    }

    private static RootCauseCandidate PoolSettings(IncidentSeries s)
    {
        var @for = new List<string>();
        var against = new List<string>();
        // One entry per instance that reviewed the same settings: the same sentence counts once.
        var findings = s.Report.Events
            .Where(e => e.Kind == IncidentEventKind.ConfigurationFinding)
            .Select(e => e.Message)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        double score = 0;
        if (findings.Count > 0)
        {
            score += 50;
            @for.AddRange(findings.Select(f => "The pool review found: " + f));
        }
        else
        {
            against.Add("The pool review found no critical setting while the incident was open.");
        }

        if (findings.Count > 0 && s.PeakServerConnectionRatio is { } ratio)
        {
            var peak = s.PeakOf(x => x.ServerConnections)!;
            var line = F($"Server connections peaked at {peak.ServerConnections} of max_connections {peak.MaxConnections} ({ratio:0%}) at {PostmortemFormat.Clock(s, peak.At)}.");
            if (ratio >= 0.9)
            {
                score += 30;
                @for.Add(line + " The pools reached what the server accepts.");
            }
            else
            {
                against.Add(line + " The connection budget kept the pools below the server's limit, so the setting was wrong but not what hurt.");
                score -= 20;
            }
        }

        if (findings.Count > 0 && s.SaturatedFraction >= 0.1)
        {
            score += 20 * s.SaturatedFraction;
            @for.Add(F($"The pool was at its share in {s.SaturatedFraction:0%} of the seconds."));
        }

        return new RootCauseCandidate("Pool settings the server cannot take", Clamp(score),
            "50 when the pool review had a critical finding while the incident was open + 30 when server connections then reached 90% of max_connections (-20 when they stayed below) + 20 x share of seconds with the pool at its share.",
            @for, against,
            [
                "- [ ] Task: Apply the pool review's recommendation: `./widgetify review --apply` (or set `Widgetify:Database:MaxPoolSize` to the recommended value), then check that `GET /api/review` has no critical finding.",
                "- [ ] Task: Make the deployment pipeline run `./widgetify review --instances N` and refuse a configuration it exits 2 on.",
            ]);
    }

    private static int Clamp(double score) => (int)Math.Round(Math.Clamp(score, 0, 100), MidpointRounding.AwayFromZero);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
