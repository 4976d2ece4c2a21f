using System.Globalization;
using System.Text;
using Widgetify.Bench.Processes;
using Widgetify.Bench.Storm;
using static Widgetify.Bench.Reporting.MarkdownText;

namespace Widgetify.Bench.Reporting;

/// <summary>storm.md: how the run was made, one row per configuration (storm phase), the targets of
/// configuration 5, and every phase in detail.</summary>
internal static class MarkdownReportWriter
{
    public static string Write(StormReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = Begin(
            F($"Storm: 15 February 2024 reproduced, {report.Configurations.Count} configurations compared"), report.CommandLine, report.StartedAt,
            report.ServiceVersion);
        var m = report.Machine;
        Line(md, $"- Machine: {m.Cores} cores, {m.OperatingSystem}, {m.DotNet}; PostgreSQL {m.PostgresVersion} (embedded, fsync off), max_connections {m.MaxConnections}, superuser_reserved_connections {m.SuperuserReservedConnections}; one server shared by every configuration; {report.Affinity}");
        Line(md, $"- Capacity: {report.Capacity.RequestsPerSecond:0} req/s {CapacitySource(report.Capacity)}");
        Line(md, $"- Load: open loop (requests sent at their due time, latency measured from it, so client-side queueing is counted); {report.Clients} client connections (HTTP/1.1), {report.ClientTimeoutSeconds:0.#} s timeout. Below the shapes, the tables of the mixed storm (75% GET /w/{{id}}, 10% GET /api/widgets/{{id}}, 5% GET /api/widgets?limit=20, 5% votes, 5% POST /api/widgets), judged as before issue 15 against the capacity above (Widgetify's peak of that shape)");
        if (DetectionSummary(report) is { } detection)
        {
            Text(md, "- Detection: " + detection);
        }

        Line(md, $"- Phases: {report.WarmupSeconds} s warm-up (not recorded: half closed loop with {StormRunner.WarmupWorkers} workers, half open loop at the baseline rate), {report.BaselineSeconds} s baseline at {report.BaselineRate:0} req/s, {report.StormSeconds} s storm at {report.StormRate:0} req/s, {report.RecoverySeconds} s recovery at {report.BaselineRate:0} req/s");
        ShapeMarkdown.Write(md, report);
        Text(md);
        Text(md, "## Storm phase");
        Text(md);
        Text(md, "| # | configuration | offered → sent req/s | goodput req/s | success | 503 (with Retry-After) | other errors | p50 ms | p99 ms | p99.9 ms | unloaded p99 ms | 503 p99 ms | peak PG conns | recovery |");
        Text(md, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var c in report.Configurations)
        {
            if (!c.Succeeded)
            {
                Line(md, $"| {c.Number} | {c.Name} | failed: {Cell(c.Failure)} | | | | | | | | | | | |");
                continue;
            }

            var s = c.Storm!;
            Line(md, $"| {c.Number} | {c.Name} | {s.OfferedRate:0} → {s.SentRate:0} | {s.Goodput:0} | {s.SuccessPercent:0.0}% | {s.ShedPercent:0.0}% ({RetryAfterShare(s)}) | {s.ErrorPercent:0.0}% | {Ms(s, s.P50Ms)} | {Ms(s, s.P99Ms)} | {Ms(s, s.P999Ms)} | {c.Baseline!.P99Ms:0.0} | {(s.Shed > 0 ? s.ShedP99Ms.ToString("0.0", CultureInfo.InvariantCulture) : "-")} | {c.PeakPgConnections} | {Recovery(c, report.RecoverySeconds)} |");
        }

        Text(md);
        Text(md, "Goodput, success, 503 and errors count every request due in the storm, sent or not; latencies are of successful requests. Other errors: non-503 statuses, timeouts, connection errors and requests not sent because every client connection was busy. Peak PG conns: client backends in pg_stat_activity (sampled every 100 ms, the bench's own excluded). Recovery: seconds after the storm until 3 consecutive seconds each have ≥ 99% success and p99 ≤ 2 × the baseline p99.");
        WriteDetection(md, report);
        if (report.Targets.Count > 0)
        {
            Text(md);
            Text(md, "## Targets (configuration 5, Widgetify)");
            Text(md);
            Table(md, ["target", "result", "measured"], report.Targets.Select(t => new[] { Cell(t.Target), Verdict(t.Met), Cell(t.Detail) }));
        }

        Text(md);
        Text(md, "## Every phase");
        Text(md);
        Text(md, "| # | phase | offered → sent req/s | goodput req/s | success | 503 | errors (status / timeout / conn / not sent) | p50 ms | p99 ms | p99.9 ms | max ms | client lag p99 ms | peak PG conns |");
        Text(md, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var c in report.Configurations.Where(c => c.Succeeded))
        {
            foreach (var p in new[] { c.Baseline!, c.Storm!, c.Recovery! })
            {
                Line(md, $"| {c.Number} | {p.Phase} | {p.OfferedRate:0} → {p.SentRate:0} | {p.Goodput:0} | {p.SuccessPercent:0.0}% | {p.ShedPercent:0.0}% | {p.ErrorPercent:0.0}% ({p.ErrorStatuses} / {p.Timeouts} / {p.ConnectionErrors} / {p.NotSent}) | {Ms(p, p.P50Ms)} | {Ms(p, p.P99Ms)} | {Ms(p, p.P999Ms)} | {Ms(p, p.MaxMs)} | {p.DispatchLagP99Ms:0.0} | {p.PeakPgConnections} |");
            }
        }

        Text(md);
        Text(md, "Statuses over all recorded phases, and CPU:");
        Text(md);
        foreach (var c in report.Configurations)
        {
            var statuses = c.StatusCounts.Count == 0 ? "none" : string.Join(", ", c.StatusCounts.Select(kv => F($"{kv.Key} × {kv.Value:N0}")));
            var extra = c.LeftoverConnectionsTerminated > 0 ? F($"; {c.LeftoverConnectionsTerminated} backends outlived the service and were terminated") : "";
            var cpu = c.LoadSeconds > 0 ? F($"; CPU over the {c.LoadSeconds:0} s load: service {c.ServiceCpuSeconds:0.0} s, load generator {c.GeneratorCpuSeconds:0.0} s") : "";
            Line(md, $"- {c.Number} {c.Name}: {statuses}; peak backends named {BenchConfiguration.ApplicationNameOf(c.Number)}: {c.PeakOwnConnections}{cpu}{extra}");
        }

        Text(md);
        Text(md, "## Notes");
        Text(md);
        Text(md, "- Configurations: " + string.Join("; ", report.Configurations.Select(c => $"{c.Number} {c.Name}: {c.Description}" +
            (c.Environment.Count > 0 ? " (" + string.Join(", ", c.Environment.Select(kv => $"{kv.Key}={kv.Value}")) + ")" : ""))) + ".");
        if (report.Configurations.Any(c => c.Number == BenchConfiguration.PgBouncerNumber))
        {
            Line(md, $"- PgBouncer {BenchConfiguration.PgBouncerNumber} runs the Debian package with pool_mode = transaction and default_pool_size = {PgBouncerProcess.DefaultPoolSize}, which is PgBouncer's default (not tuned); max_client_conn {PgBouncerProcess.MaxClientConnections}; the service connects to it with No Reset On Close=true.");
        }

        foreach (var note in report.Notes)
        {
            Text(md, "- " + note);
        }

        Text(md, "- Per-second series (goodput, p99, 503s, errors, PostgreSQL connections) are in storm.json and drawn in storm.svg.");
        return md.ToString();
    }

    /// <summary>One line for the summary: per configuration, the three detection targets met or missed.</summary>
    private static string? DetectionSummary(StormReport report)
    {
        var judged = report.Configurations.Where(c => c.DetectionTargets.Count > 0).ToList();
        if (judged.Count == 0)
        {
            return null;
        }

        return F($"targets: alert ≤ {StormTargets.MaxSecondsToAlert:0} s after the storm's onset, incident mitigated ≤ {StormTargets.MaxSecondsToMitigate:0} s after onset, postmortem draft written on resolution. ") +
            string.Join("; ", judged.Select(c => $"{c.Number} {c.Name}: {TargetsCell(c)} ({FirstAlertShort(c.Detection!)})")) + ".";
    }

    private static void WriteDetection(StringBuilder md, StormReport report)
    {
        var measured = report.Configurations.Where(c => c.Succeeded && c.Detection is not null).ToList();
        if (measured.Count == 0)
        {
            return;
        }

        Text(md);
        Text(md, "## Detection and incident");
        Text(md);
        Text(md, "| # | configuration | first alert | s to first alert | incident opened | mitigated | resolved | postmortem draft | impact | targets (alert / mitigated / postmortem) |");
        Text(md, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var c in measured)
        {
            var d = c.Detection!;
            if (d.NotMeasured is { } why)
            {
                Line(md, $"| {c.Number} | {c.Name} | not measured: {Cell(why)} | | | | | | | {TargetsCell(c)} |");
                continue;
            }

            var i = d.Incident;
            var opened = i is null ? "no" : F($"yes ({Detection.DetectionTracker.Prefix(i.Id)}, detected {i.DetectedAfterOnsetSeconds:0.0} s)");
            var mitigated = i?.MitigatedAfterOnsetSeconds is { } m ? F($"{m:0.0} s") : "no";
            var resolved = i is null ? "-" : i.ResolvedAfterOnsetSeconds is { } r ? F($"{r:0.0} s") : F($"not within {d.ObservedSeconds:0} s");
            var postmortem = i is null ? "-" : !i.Resolved ? "- (not resolved)" : i.PostmortemWritten ? "written" : "**missing**";
            var impact = i is null ? "-" : F($"{i.Impact.FailedOrShedPercent:0.0}% failed or shed; {(i.Impact.ClientsCapped ? "≥ " : "")}{i.Impact.ClientsAffectedPercent:0.0}% of {i.Impact.Clients:N0} clients affected");
            Line(md, $"| {c.Number} | {c.Name} | {d.FirstAlert ?? "none"} | {(d.SecondsToFirstAlert is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "-")} | {opened} | {mitigated} | {resolved} | {postmortem} | {impact} | {TargetsCell(c)} |");
        }

        Text(md);
        Text(md, "Seconds are counted from the storm's onset, the instant the load generator's storm segment started, taken as UTC wall-clock time and compared with the service's own UTC timestamps (firingSince of the alert, detectedAt, mitigatedAt and resolvedAt of the incident); the service's time to detect, mitigate and resolve counts instead from the first second of impact it saw. Only incidents detected at or after onset (less 1 s of clock slack) count. Impact is the incident's, as the service counted it (from its impact start to its resolution, or to the last poll). \"Not within N s\": the last poll was N s after onset.");
        Text(md);
        foreach (var c in measured.Where(c => c.Detection!.NotMeasured is null))
        {
            var d = c.Detection!;
            var parts = new List<string>
            {
                "alerts fired after onset: " + (d.AlertsFired.Count > 0 ? string.Join(", ", d.AlertsFired) : "none"),
            };
            if (d.FiringAtOnset.Count > 0)
            {
                parts.Add("already firing at onset: " + string.Join(", ", d.FiringAtOnset));
            }

            if (d.Incident is { } i)
            {
                parts.Add(F($"incident {Detection.DetectionTracker.Prefix(i.Id)} '{i.Title}' ({i.Status}), TTD {Seconds(i.TimeToDetectSeconds)} / TTM {Seconds(i.TimeToMitigateSeconds)} / TTR {Seconds(i.TimeToResolveSeconds)}, {i.Impact.Requests:N0} requests, {i.Impact.Failed:N0} failed, {i.Impact.Shed:N0} shed") +
                    (i.PostmortemCopy is { } copy ? $", draft copied to {copy}" : ""));
            }

            if (d.IncidentsOpened > 1)
            {
                parts.Add(F($"{d.IncidentsOpened} incidents opened after onset (the first is reported)"));
            }

            if (d.OpenAtOnset.Count > 0)
            {
                parts.Add("open at onset (detected earlier): " + string.Join(", ", d.OpenAtOnset));
            }

            if (d.Incident is { Resolved: false } && d.ActiveAtEnd.Count > 0)
            {
                parts.Add("still active at the last poll: " + string.Join(", ", d.ActiveAtEnd));
            }

            parts.Add(F($"{d.Polls} polls, {d.PollFailures} failed requests") + (d.LastPollFailure is { } last ? $" (last: {last})" : ""));
            parts.Add(F($"polled {d.WaitedAfterLoadSeconds:0} s after the load (at most {d.ResolutionWaitSeconds:0} s)"));
            Text(md, $"- {c.Number} {c.Name}: " + string.Join("; ", parts) + ".");
        }
    }

    private static string TargetsCell(ConfigurationResult c) =>
        c.DetectionTargets.Count == 0 ? "-" : string.Join(" / ", c.DetectionTargets.Select(t => Verdict(t.Met)));

    private static string FirstAlertShort(DetectionResult d) =>
        d.NotMeasured is not null ? "not measured" : d.SecondsToFirstAlert is { } s ? F($"{d.FirstAlert} after {s:0.0} s") : "no alert";

    private static string Seconds(double? value) => value is { } v ? F($"{v:0.0} s") : "-";

    private static string CapacitySource(CapacityResult capacity) =>
        !capacity.Measured
            ? "(given with --capacity)"
            : "(best 2xx goodput of a closed-loop ramp against configuration 5: " +
              string.Join(", ", capacity.Steps.Select(s => F($"{s.Workers} workers {s.Goodput:0}"))) + " req/s)";

    private static string RetryAfterShare(PhaseResult phase) =>
        phase.Shed == 0 ? "-" : F($"{100.0 * phase.ShedWithRetryAfter / phase.Shed:0}%");

    private static string Ms(PhaseResult phase, double value) => phase.Successes == 0 ? "-" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Recovery(ConfigurationResult c, int recoverySeconds) =>
        c.SecondsToRecover is { } s ? F($"{s} s") : F($"not within {recoverySeconds} s");

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
