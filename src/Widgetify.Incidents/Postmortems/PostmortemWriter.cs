using System.Globalization;
using System.Text;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Postmortems;

/// <summary>Writes a postmortem draft from a stored incident, in the structure of Widgetify's earlier postmortems
/// (Issue Summary, Timeline, Resolution, Corrective and Preventive Measures) with the evidence, a ranked list of
/// root-cause candidates and a chart. The output depends on the report only (invariant culture, UTC), so the same
/// incident always gives the same draft.</summary>
public static class PostmortemWriter
{
    /// <summary>Writes the draft with the default file names (<c>&lt;yyyyMMdd-HHmm&gt;-&lt;id&gt;.md</c> and <c>.svg</c>).</summary>
    /// <param name="report">The incident, its timeline and samples.</param>
    public static PostmortemDraft Write(IncidentReport report) => Write(report, null);

    /// <summary>Writes the draft, referencing the chart as <paramref name="baseName"/><c>.svg</c>.</summary>
    /// <param name="report">The incident, its timeline and samples.</param>
    /// <param name="baseName">The file name without extension; null for the default.</param>
    public static PostmortemDraft Write(IncidentReport report, string? baseName)
    {
        ArgumentNullException.ThrowIfNull(report);
        var incident = report.Incident;
        baseName ??= DefaultBaseName(incident);
        var series = new IncidentSeries(report);
        var candidates = RootCauseRanking.Rank(series);
        var chartFile = baseName + ".svg";

        var md = new StringBuilder();
        Header(md, series);
        Summary(md, series);
        Timeline(md, series);
        Evidence(md, series);
        Candidates(md, series, candidates);
        Resolution(md, series);
        Measures(md, series, candidates);
        Chart(md, series, chartFile);
        return new PostmortemDraft(md.ToString(), PostmortemChart.Render(series), baseName + ".md", chartFile);
    }

    /// <summary>"<c>yyyyMMdd-HHmm</c>-<c>the id</c>", from the impact start in UTC. The whole id: ids are UUIDv7, whose first
    /// 8 hex digits are the time in units of 65 s, so two incidents opened in the same minute shared a name and the second
    /// draft overwrote the first.</summary>
    /// <param name="incident">The incident.</param>
    public static string DefaultBaseName(Incident incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        return incident.ImpactStartedAt.UtcDateTime.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture) + "-" + incident.Id.ToString("D");
    }

    /// <summary>One line: "12.3% of 45,000 requests failed or shed (1,200 failed, 4,338 shed); 25 given up by their clients
    /// (499, not failures); 340 of 1,200 clients (28.3%) affected".</summary>
    /// <param name="impact">The impact.</param>
    public static string DescribeImpact(IncidentImpact impact)
    {
        ArgumentNullException.ThrowIfNull(impact);
        var atLeast = impact.ClientsCapped ? "at least " : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{impact.FailedOrShedPercent:0.##}% of {impact.Requests:N0} requests failed or shed ({impact.Failed:N0} failed, {impact.Shed:N0} shed); {impact.ClientClosed:N0} given up by their clients (499, not failures); {atLeast}{impact.ClientsAffected:N0} of {atLeast}{impact.Clients:N0} clients ({impact.ClientsAffectedPercent:0.##}%) affected");
    }

    /// <summary>Whether <paramref name="markdown"/> is a draft of incident <paramref name="id"/>: its first lines name it. What
    /// <c>widgetify postmortem --output</c> checks before it overwrites a file.</summary>
    /// <param name="markdown">A file's text.</param>
    /// <param name="id">The incident.</param>
    /// <returns>True for a draft this writer made for that incident.</returns>
    public static bool IsDraftOf(string markdown, Guid id)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return markdown.Contains(Names(id), StringComparison.Ordinal);
    }

    private static string Names(Guid id) => $"Incident `{id}`";

    private static void Header(StringBuilder md, IncidentSeries series)
    {
        var incident = series.Report.Incident;
        var open = incident.ResolvedAt is null ? " (open, still in progress)" : "";
        Line(md, $"# Postmortem (draft): {incident.Title}{open}");
        Line(md);
        Line(md, $"> {Names(incident.Id)}, status **{incident.Status}**. Written by Widgetify from its monitoring: the numbers are measured, the ranking is a starting point. Confirm the root cause, add what people did, then drop \"(draft)\".");
        Line(md);
    }

    private static void Summary(StringBuilder md, IncidentSeries series)
    {
        var incident = series.Report.Incident;
        var impact = incident.Impact;
        Text(md, "## Issue Summary");
        Line(md);
        Text(md, "**Duration:**");
        Line(md);
        Line(md, $"- Start Time: {PostmortemFormat.Utc(incident.ImpactStartedAt)}, the first second of the SLO breach");
        Text(md, incident.ResolvedAt is { } end
            ? $"- End Time: {PostmortemFormat.Utc(end)}, when the incident was resolved"
            : $"- End Time: still in progress (last sample {PostmortemFormat.Utc(series.End)})");
        Line(md, $"- Length: {PostmortemFormat.Duration(series.End - incident.ImpactStartedAt)}");
        Line(md);
        Text(md, "**Impact:**");
        Line(md);
        Line(md, $"- {impact.FailedOrShedPercent:0.##}% of requests failed or were shed: {impact.Failed + impact.Shed:N0} of {impact.Requests:N0} ({impact.Failed:N0} failed with 5xx, {impact.Shed:N0} shed with 503 and Retry-After).");
        var gaveUpPercent = impact.Requests == 0 ? 0 : 100.0 * impact.ClientClosed / impact.Requests;
        Line(md, $"- {gaveUpPercent:0.##}% of requests were given up by their clients: {impact.ClientClosed:N0} of {impact.Requests:N0} ended with 499 because the client went away before the answer. Not failures of ours: in neither count above.");
        var capped = impact.ClientsCapped ? " (the count reached Widgetify:Monitoring:Incidents:ClientCap: lower bounds)" : "";
        Line(md, $"- {impact.ClientsAffectedPercent:0.##}% of distinct clients were affected: {impact.ClientsAffected:N0} of {impact.Clients:N0}{capped}.");
        Line(md, $"- SLO: {series.Report.SloAvailability:0.###%} of requests succeed, served p99 under {PostmortemFormat.Seconds(series.Report.SloLatencyP99Seconds)}.");
        if (incident.Instances.Count > 0)
        {
            Line(md, $"- Instances: {string.Join(", ", incident.Instances)}.");
        }

        Line(md);
    }

    private static void Timeline(StringBuilder md, IncidentSeries series)
    {
        var incident = series.Report.Incident;
        Text(md, "## Timeline");
        Line(md);
        Line(md, $"- **Detection Time:** {PostmortemFormat.Utc(incident.DetectedAt)} ({PostmortemFormat.Relative(series.Start, incident.DetectedAt)} after the impact started)");
        Line(md, $"- **Detection Method:** the {incident.DetectedBy} alert fired: {incident.DetectionSummary}");
        Line(md);
        Text(md, "| Time (UTC) | Since impact | Event | What happened |");
        Text(md, "| --- | --- | --- | --- |");
        var multiple = series.Report.Events.Select(e => e.Instance).Distinct().Count() > 1;
        foreach (var e in series.Report.Events)
        {
            var who = multiple && e.Instance is not null ? $" ({e.Instance})" : "";
            Line(md, $"| {e.At.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} | {PostmortemFormat.Relative(series.Start, e.At)} | {e.Kind}{who} | {Cell(e.Message)} |");
        }

        Line(md);
        Line(md, $"- **Time to detect (TTD):** {PostmortemFormat.Duration(incident.TimeToDetect)}");
        Line(md, $"- **Time to mitigate (TTM):** {PostmortemFormat.Duration(incident.TimeToMitigate)}");
        Line(md, $"- **Time to resolve (TTR):** {PostmortemFormat.Duration(incident.TimeToResolve)}{(incident.ResolvedAt is null ? " (not resolved yet)" : "")}");
        Line(md);
    }

    private static void Evidence(StringBuilder md, IncidentSeries s)
    {
        Text(md, "## Investigation: evidence");
        Line(md);
        Line(md, $"Measured every second on every instance from {PostmortemFormat.Relative(s.Start, s.All.Count > 0 ? s.All[0].At : s.Start)} (baseline: the seconds before the impact) to {PostmortemFormat.Relative(s.Start, s.End)}.");
        Line(md);
        Text(md, "| Signal | Peak | When | Compared with |");
        Text(md, "| --- | --- | --- | --- |");
        var p99 = s.PeakOf(x => x.ServedP99);
        var baselineP99 = s.BaselineP99;
        var ratio = p99?.ServedP99 is { } peakP99 && baselineP99 > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({peakP99 / baselineP99:0.#}x)") : "";
        Row(md, "Served p99 latency", PostmortemFormat.Seconds(p99?.ServedP99), s, p99,
            $"baseline {PostmortemFormat.Seconds(baselineP99)}{ratio}; objective {PostmortemFormat.Seconds(s.Report.SloLatencyP99Seconds)}");
        var rate = s.PeakOf(x => x.Requests);
        Row(md, "Requests per second", rate?.Requests.ToString("N0", CultureInfo.InvariantCulture) ?? "n/a", s, rate,
            s.BaselineRate is { } baseline ? string.Create(CultureInfo.InvariantCulture, $"baseline {baseline:0.#}/s{(baseline > 0 && rate is not null ? $" ({rate.Requests / baseline:0.0}x)" : "")}") : "no baseline");
        var pool = s.PeakOf(x => x.PoolUsed);
        Row(md, "Pool connections in use", pool is null ? "n/a" : $"{pool.PoolUsed} of a share of {pool.Share}", s, pool,
            string.Create(CultureInfo.InvariantCulture, $"at >= 90% of the share in {s.SaturatedFraction:0%} of the seconds"));
        var waited = s.PeakOf(x => x.OpensWaited);
        Row(md, "Connection opens that waited", waited is null ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{waited.OpensWaited}/s"), s, waited,
            string.Create(CultureInfo.InvariantCulture, $"waited in {s.WaitedFraction:0%} of the seconds"));
        var server = s.PeakOf(x => x.ServerConnections);
        Row(md, "Server connections", server?.ServerConnections?.ToString(CultureInfo.InvariantCulture) ?? "n/a", s, server,
            server?.MaxConnections is { } max ? string.Create(CultureInfo.InvariantCulture, $"max_connections {max} ({s.PeakServerConnectionRatio:0%})") : "max_connections not sampled");
        var shed = s.PeakOf(x => x.Shed);
        Row(md, "Shed requests", string.Create(CultureInfo.InvariantCulture, $"{shed?.Shed ?? 0:N0}/s"), s, shed,
            string.Create(CultureInfo.InvariantCulture, $"{s.ShedPercent:0.##}% of all requests"));
        var errors = s.PeakOf(x => x.ServerErrors);
        Row(md, "5xx (not shed; clients that gave up are 499, not here)", string.Create(CultureInfo.InvariantCulture, $"{errors?.ServerErrors ?? 0:N0}/s"), s, errors,
            string.Create(CultureInfo.InvariantCulture, $"{s.ErrorPercent:0.##}% of all requests"));
        var gaveUp = s.PeakOf(x => x.ClientClosed);
        Row(md, "Clients gave up (499; not failures)", string.Create(CultureInfo.InvariantCulture, $"{gaveUp?.ClientClosed ?? 0:N0}/s"), s, gaveUp,
            string.Create(CultureInfo.InvariantCulture, $"{s.ClientClosedPercent:0.##}% of all requests"));
        var down = s.During.FirstOrDefault(x => !x.DatabaseUp);
        Row(md, "Database down", string.Create(CultureInfo.InvariantCulture, $"{s.DownSeconds} s"), s, down, down is null ? "answered every second" : "first second without an answer");
        var longest = s.PeakOf(x => x.LongestTransactionSeconds);
        Row(md, "Longest open transaction", PostmortemFormat.Seconds(longest?.LongestTransactionSeconds), s, longest, "");
        var deadlocks = s.PeakOf(x => x.Deadlocks);
        Row(md, "Deadlocks / rollbacks", string.Create(CultureInfo.InvariantCulture, $"{s.During.Sum(x => x.Deadlocks):N0} / {s.During.Sum(x => x.Rollbacks):N0}"), s,
            deadlocks is { Deadlocks: > 0 } ? deadlocks : null,
            string.Create(CultureInfo.InvariantCulture, $"{s.During.Sum(x => x.Commits):N0} commits"));
        Line(md);
    }

    private static void Candidates(StringBuilder md, IncidentSeries s, IReadOnlyList<RootCauseCandidate> candidates)
    {
        Text(md, "## Root-cause candidates, ranked");
        Line(md);
        Text(md, "Each hypothesis is scored 0-100 from the signals by the rule shown; the highest is where to look first.");
        Line(md);
        var rank = 1;
        foreach (var c in candidates)
        {
            Line(md, $"{rank++}. **{c.Name}**: score {c.Score}/100");
            Line(md, $"   - Rule: {c.Rule}");
            foreach (var line in c.For)
            {
                Line(md, $"   - For: {line}");
            }

            foreach (var line in c.Against)
            {
                Line(md, $"   - Against: {line}");
            }
        }

        Line(md);
        var impact = s.Report.Incident.Impact;
        var rate = s.PeakOf(x => x.Requests);
        var traffic = s.BaselineRate is { } baseline && baseline > 0 && rate is not null
            ? string.Create(CultureInfo.InvariantCulture, $"requests peaked at {rate.Requests:N0}/s, {rate.Requests / baseline:0.0}x the {baseline:0.#}/s before the impact")
            : "there is no baseline before the impact to compare the request rate with";
        var clients = impact.Clients > 0
            ? string.Create(CultureInfo.InvariantCulture, $"from {impact.Clients:N0} distinct clients, about {(double)impact.Requests / impact.Clients:N0} requests per client")
            : "with no client counts recorded";
        Line(md, $"**Misleading paths, as on Feb 15.** That investigation first suspected recent code deployments, then a DDoS; the code diff showed no relevant change and the traffic showed no attack, while the cause was the database connection pool. Here: {traffic}, {clients}. A DDoS shows as a rate far above the baseline from many new clients, or a few clients sending most requests; compare before chasing it. This draft has no deploy data: check the deploy log for changes shortly before {PostmortemFormat.Utc(s.Start)} instead of assuming one.");
        Line(md);
    }

    private static void Resolution(StringBuilder md, IncidentSeries s)
    {
        var incident = s.Report.Incident;
        Text(md, "## Resolution");
        Line(md);
        var actions = s.Report.Events.Where(e => e.Kind == IncidentEventKind.AutomaticAction).ToList();
        if (actions.Count == 0)
        {
            Text(md, "The service took no automatic action (no shedding, no change of admission limit or connection share, no queue).");
        }
        else
        {
            Text(md, "What the service did by itself:");
            Line(md);
            foreach (var e in actions)
            {
                Line(md, $"- {PostmortemFormat.Relative(s.Start, e.At)}: {e.Message}");
            }
        }

        Line(md);
        var shed = incident.Impact.Shed;
        if (shed > 0)
        {
            Line(md, $"Shedding turned {shed:N0} requests away with 503 and Retry-After so that the others were served within the objectives: those sheds are counted in the impact, as the users saw them.");
            Line(md);
        }

        Text(md, incident.MitigatedAt is { } mitigated
            ? $"- Mitigated at {PostmortemFormat.Utc(mitigated)} ({PostmortemFormat.Relative(s.Start, mitigated)}): the service met its objectives for what it served."
            : "- Not mitigated yet.");
        var relapses = s.Report.Events.Count(e => e.Kind == IncidentEventKind.Note && e.Message.StartsWith("Relapse", StringComparison.Ordinal));
        if (relapses > 0)
        {
            Line(md, $"- It relapsed {relapses} time(s) after that (see the timeline); the mitigation time is the first one.");
        }

        Text(md, incident.ResolvedAt is { } resolved
            ? $"- Resolved at {PostmortemFormat.Utc(resolved)} ({PostmortemFormat.Relative(s.Start, resolved)}): no alert active and the SLO met for the resolve delay."
            : "- Not resolved yet: the incident is still in progress.");
        Line(md);
    }

    private static void Measures(StringBuilder md, IncidentSeries s, IReadOnlyList<RootCauseCandidate> candidates)
    {
        Text(md, "## Corrective and Preventive Measures");
        Line(md);
        var chosen = candidates.Where((c, i) => i == 0 || c.Score >= 30).ToList();
        foreach (var c in chosen)
        {
            Line(md, $"**If {c.Name.ToLowerInvariant()} (score {c.Score}):**");
            Line(md);
            foreach (var task in c.Tasks)
            {
                Line(md, $"{task}");
            }

            Line(md);
        }

        Text(md, "**In every case:**");
        Line(md);
        Line(md, $"- [ ] Task: Review detection: TTD was {PostmortemFormat.Duration(s.Report.Incident.TimeToDetect)}; check the {s.Report.Incident.DetectedBy} rule's threshold and duration in `Widgetify:Monitoring:Alerts`.");
        Text(md, "- [ ] Task: Confirm the root cause, fill in what people did and when, and link this postmortem from the runbook of the alert that detected it.");
        Line(md);
    }

    private static void Chart(StringBuilder md, IncidentSeries s, string chartFile)
    {
        Text(md, "## Chart");
        Line(md);
        Line(md, $"![Latency, pool and errors during the incident]({chartFile})");
        Line(md);
        var seconds = s.All;
        if (seconds.Count == 0)
        {
            Text(md, "No samples were stored for this incident.");
            return;
        }

        var span = seconds[^1].At - seconds[0].At;
        // 10 s rows for short incidents, 20 s beyond 5 minutes, and never more than about 60 rows.
        var step = span <= TimeSpan.FromMinutes(5) ? 10 : 20;
        step = Math.Max(step, (int)Math.Ceiling(span.TotalSeconds / 60 / 10) * 10);
        Line(md, $"Every {step} s (worst second of each row; pool summed over instances):");
        Line(md);
        Text(md, "| From | p99 | Requests | Shed | 5xx | Gave up (499) | Pool used / share | Pending |");
        Text(md, "| --- | --- | --- | --- | --- | --- | --- | --- |");
        var origin = seconds[0].At;
        foreach (var row in seconds.GroupBy(x => (long)Math.Floor((x.At - origin).TotalSeconds / step)).OrderBy(g => g.Key))
        {
            var first = row.First();
            var worstPool = row.MaxBy(x => x.PoolUsed)!;
            Line(md, $"| {PostmortemFormat.Relative(s.Start, first.At)} | {PostmortemFormat.Seconds(row.Max(x => x.P99))} | {row.Sum(x => x.Requests):N0} | {row.Sum(x => x.Shed):N0} | {row.Sum(x => x.ServerErrors):N0} | {row.Sum(x => x.ClientClosed):N0} | {worstPool.PoolUsed} / {worstPool.Share} | {row.Max(x => x.Pending)} |");
        }
    }

    private static void Row(StringBuilder md, string signal, string peak, IncidentSeries s, IncidentSample? at, string compared) =>
        Line(md, $"| {signal} | {Cell(peak)} | {(at is null ? "-" : PostmortemFormat.Clock(s, at.At))} | {Cell(compared)} |");

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static void Line(StringBuilder md, FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Text(StringBuilder md, string text) => md.Append(text).Append('\n');

    private static void Line(StringBuilder md) => md.Append('\n');
}
