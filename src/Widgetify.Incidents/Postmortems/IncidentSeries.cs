namespace Widgetify.Incidents.Postmortems;

/// <summary>An incident's samples as fleet seconds, split into the baseline before the impact and the incident, with
/// the figures the evidence table and the root-cause ranking read.</summary>
internal sealed class IncidentSeries
{
    public IncidentSeries(IncidentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Report = report;
        var incident = report.Incident;
        Start = incident.ImpactStartedAt;
        // Each instance ticks on its own clock (12:00:01.44 here, 12:00:01.81 there): a fleet second is every sample
        // whose interval ended within the same whole second, named by the end of that second.
        var seconds = report.Samples
            .GroupBy(s => CeilingSecond(s.At))
            .OrderBy(g => g.Key)
            .Select(Combine)
            .ToList();
        var firstSecond = CeilingSecond(Start);
        Baseline = seconds.Where(s => s.At < firstSecond).ToList();
        var end = incident.ResolvedAt ?? (seconds.Count > 0 ? seconds[^1].At : incident.DetectedAt);
        End = end < Start ? Start : end;
        var lastSecond = CeilingSecond(End);
        During = seconds.Where(s => s.At >= firstSecond && s.At <= lastSecond).ToList();
        All = seconds;
    }

    public IncidentReport Report { get; }

    public DateTimeOffset Start { get; }

    public DateTimeOffset End { get; }

    public IReadOnlyList<IncidentSample> All { get; }

    public IReadOnlyList<IncidentSample> Baseline { get; }

    public IReadOnlyList<IncidentSample> During { get; }

    public long Requests => During.Sum(s => s.Requests);

    public double ShedPercent => Requests == 0 ? 0 : 100.0 * During.Sum(s => s.Shed) / Requests;

    public double ErrorPercent => Requests == 0 ? 0 : 100.0 * During.Sum(s => s.ServerErrors) / Requests;

    /// <summary>Requests whose clients gave up (499), in percent of all requests: not failures, beside them.</summary>
    public double ClientClosedPercent => Requests == 0 ? 0 : 100.0 * During.Sum(s => s.ClientClosed) / Requests;

    public double SaturatedFraction => Fraction(IsPoolSaturated);

    /// <summary>Seconds in which a connection open waited (<see cref="IncidentSample.OpensWaited"/>, the alert's definition).</summary>
    public double WaitedFraction => Fraction(s => s.OpensWaited > 0);

    public int DownSeconds => During.Count(s => !s.DatabaseUp);

    public double DownFraction => Fraction(s => !s.DatabaseUp);

    /// <summary>Seconds in a row without an answer that make an outage: one second in which one instance's probe failed
    /// (under a storm a probe can run out of time) is not one.</summary>
    public const int OutageSeconds = 3;

    /// <summary>The first second of the first outage: <see cref="OutageSeconds"/> or more consecutive fleet seconds in which
    /// the database did not answer; null when there was none.</summary>
    public DateTimeOffset? OutageStart
    {
        get
        {
            var run = 0;
            for (var i = 0; i < During.Count; i++)
            {
                if (During[i].DatabaseUp)
                {
                    run = 0;
                    continue;
                }

                // A second with no sample at all (every instance stalled) ends the run: counted short, never long.
                run = run > 0 && During[i].At - During[i - 1].At <= TimeSpan.FromSeconds(1) ? run + 1 : 1;
                if (run == OutageSeconds)
                {
                    return During[i - OutageSeconds + 1].At;
                }
            }

            return null;
        }
    }

    public IncidentSample? PeakOf(Func<IncidentSample, double?> value) =>
        During.Where(s => value(s) is not null).OrderByDescending(s => value(s)).ThenBy(s => s.At).FirstOrDefault();

    /// <summary>Mean requests per second before the impact; null without baseline seconds.</summary>
    public double? BaselineRate => Baseline.Count == 0 ? null : Baseline.Average(s => (double)s.Requests);

    /// <summary>Median served p99 before the impact.</summary>
    public double? BaselineP99 => Median(Baseline.Select(s => s.ServedP99).OfType<double>().ToList());

    /// <summary>Seconds where served requests were slower than the objective while the pool had headroom.</summary>
    public double SlowUnsaturatedFraction => Fraction(s => s.ServedP99 > Report.SloLatencyP99Seconds && !IsPoolSaturated(s) && s.DatabaseUp);

    public double? PeakServerConnectionRatio =>
        During.Where(s => s.ServerConnections is not null && s.MaxConnections > 0)
            .Select(s => (double)s.ServerConnections!.Value / s.MaxConnections!.Value)
            .DefaultIfEmpty(double.NaN).Max() is var r && double.IsNaN(r) ? null : r;

    public bool AlertFired(string name) => Report.Incident.Alerts.Contains(name, StringComparer.Ordinal);

    private double Fraction(Func<IncidentSample, bool> predicate) => During.Count == 0 ? 0 : (double)During.Count(predicate) / During.Count;

    private static double? Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    private static DateTimeOffset CeilingSecond(DateTimeOffset at)
    {
        var rest = at.Ticks % TimeSpan.TicksPerSecond;
        return rest == 0 ? at : at.AddTicks(TimeSpan.TicksPerSecond - rest);
    }

    /// <summary>Whether the pool was at (90% of) its share.</summary>
    private static bool IsPoolSaturated(IncidentSample s) => s.Share > 0 && s.PoolUsed >= 0.9 * s.Share;

    // A fleet second is a sample too: counts and pools summed; quantiles cannot be added across instances, so the worst
    // instance's is kept; server-wide figures, which every instance samples from the same server, take the highest.
    private static IncidentSample Combine(IGrouping<DateTimeOffset, IncidentSample> second) => new()
    {
        At = second.Key,
        Instance = string.Join(", ", second.Select(s => s.Instance).Distinct().Order(StringComparer.Ordinal)),
        Requests = second.Sum(s => s.Requests),
        Bad = second.Sum(s => s.Bad),
        Shed = second.Sum(s => s.Shed),
        ClientClosed = second.Sum(s => s.ClientClosed),
        P50 = second.Max(s => s.P50),
        P99 = second.Max(s => s.P99),
        ServedP99 = second.Max(s => s.ServedP99),
        PoolUsed = second.Sum(s => s.PoolUsed),
        Share = second.Sum(s => s.Share),
        Pending = second.Sum(s => s.Pending),
        OpensWaited = second.Sum(s => s.OpensWaited),
        Queued = second.Sum(s => s.Queued),
        InFlight = second.Sum(s => s.InFlight),
        AdmissionLimit = second.Sum(s => s.AdmissionLimit),
        ServerConnections = second.Max(s => s.ServerConnections),
        MaxConnections = second.Max(s => s.MaxConnections),
        DatabaseUp = second.All(s => s.DatabaseUp),
        LongestTransactionSeconds = second.Max(s => s.LongestTransactionSeconds),
        Deadlocks = second.Max(s => s.Deadlocks),
        Rollbacks = second.Max(s => s.Rollbacks),
        Commits = second.Max(s => s.Commits),
    };
}
