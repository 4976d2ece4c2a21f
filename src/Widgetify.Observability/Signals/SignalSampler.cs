using System.Globalization;
using Widgetify.Core.Traffic;
using Widgetify.Observability.Database;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Signals;

/// <summary>Turns two consecutive metric collections into one <see cref="SignalSnapshot"/>: counters and histograms
/// become the interval's deltas (as <c>rate()</c> does in Prometheus), gauges are read as they are. It reads the same
/// instruments <c>/metrics</c> exposes, which the Prometheus rules read too.</summary>
/// <param name="primaryPoolName">The Npgsql data source name of the request pool (the control connection's pool is
/// not the request pool and is left out).</param>
/// <param name="applicationPrefix">The <c>application_name</c> prefix of Widgetify's sessions on the server.</param>
/// <remarks>Operators' and probes' requests (scrapes, the dashboard's polling, the operator API, health probes) are left
/// out by the tag <see cref="TrafficExtensions.UseTrafficTagging"/> puts on them: counting them would put a scrape's
/// latency in the p99 of an idle service and its 200s in the availability of an overloaded one.</remarks>
internal sealed class SignalSampler(string primaryPoolName, string applicationPrefix)
{
    private const string HttpDuration = "http.server.request.duration";
    private const string StatusTag = "http.response.status_code";

    private static readonly string ClientClosedStatus = ClientClosedExtensions.StatusCode.ToString(CultureInfo.InvariantCulture);

    private readonly Dictionary<string, HistogramValue> _previousHistograms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _previousCounters = new(StringComparer.Ordinal);
    private DatabaseSample? _previousDatabase;
    private DateTimeOffset? _previousAt;
    private long _shedsAwaiting503; // sheds of the previous interval whose 503 the request histogram did not have yet

    /// <summary>The snapshot of the interval that ends at <paramref name="now"/>. Called by one loop, never concurrently.</summary>
    /// <param name="metrics">This instant's collection.</param>
    /// <param name="database">What is known of the server now (<see cref="DatabaseSampler.Current"/>), or null before the first sample.</param>
    /// <param name="now">The end of the interval.</param>
    public SignalSnapshot Sample(MetricsSnapshot metrics, DatabaseSample? database, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var interval = _previousAt is { } previous && now > previous ? now - previous : TimeSpan.FromSeconds(1);
        _previousAt = now;

        var (answered, errors5xx, unavailable, clientClosed, latency, served) = Http(metrics);
        var shed = (long)CounterDelta(metrics, "widgetify.admission.shed", _ => true);
        // One total for every share that divides by it (the alerts, the incident's impact, the timeline): each shed is a
        // request answered. The shed counter moves when admission decides, the request histogram when the response
        // completes, so after a stall (a SIGSTOP, a stopped-the-world pause) a shed and its 503 land in different
        // intervals. A shed without its 503 yet is counted as a request now, and the 503 that follows in the next
        // interval is matched to it (neither a second request nor a failure); a shed whose 503 never comes (the client
        // left) is forgotten after one interval, so it cannot absorb a real failure later. Either way a shed or failed
        // share never exceeds 100%.
        var late = Math.Min(_shedsAwaiting503, unavailable); // 503s of the previous interval's sheds
        var matchedNow = Math.Min(shed, unavailable - late);
        _shedsAwaiting503 = shed - matchedNow;
        var requests = answered - late + (shed - matchedNow);
        // Only the 503s matched to a shed are not failures: subtracting every shed of the interval, answered or not yet,
        // would hide a real 5xx behind a shed whose 503 is still to come.
        var serverErrors = Math.Max(0, errors5xx - late - matchedNow);
        var databaseUp = database is { Up: true };
        var fresh = databaseUp ? database : null;
        var previousDatabase = _previousDatabase;
        _previousDatabase = fresh ?? _previousDatabase;

        return new SignalSnapshot
        {
            At = now,
            Interval = interval,
            Requests = requests,
            Shed = shed,
            ServerErrors = serverErrors,
            ClientClosed = clientClosed,
            Latency = latency,
            ServedLatency = served,
            AdmissionLimit = Gauge(metrics, "widgetify.admission.limit", _ => true),
            AdmissionInFlight = (long)Gauge(metrics, "widgetify.admission.in_flight", _ => true),
            AdmissionQueued = (long)Gauge(metrics, "widgetify.admission.queued", _ => true),
            // Npgsql's db.client.connection.count, under the stream name MetricViews gives it.
            PoolUsed = (long)Gauge(metrics, "db.client.connections", s => IsPrimary(s) && s.Tag("db.client.connection.state") == "used"),
            PoolIdle = (long)Gauge(metrics, "db.client.connections", s => IsPrimary(s) && s.Tag("db.client.connection.state") == "idle"),
            PoolPending = (long)(Gauge(metrics, "widgetify.pool.connections.waiting", _ => true)
                                 + Gauge(metrics, "db.client.connection.npgsql.pending_requests", IsPrimary)),
            ConnectionShare = (long)Gauge(metrics, "widgetify.pool.share", _ => true),
            ConnectionBudget = metrics.Find("widgetify.pool.budget") is { Series.Count: > 0 } budget ? (long)budget.Series.Sum(s => s.Value) : null,
            PoolTimeouts = (long)CounterDelta(metrics, "db.client.connection.npgsql.timeouts", IsPrimary),
            AcquireWait = HistogramDelta(metrics, "widgetify.pool.acquire.duration", _ => true),
            HoldTime = HistogramDelta(metrics, "widgetify.pool.hold.duration", _ => true),
            DatabaseUp = databaseUp,
            // A server that refused us for being full is at its limit, whatever the last breakdown said.
            ServerConnections = fresh is { Full: true } ? fresh.MaxConnections : fresh?.TotalConnections,
            // A full server said nothing about who holds its connections: no stale breakdown.
            WidgetifyServerConnections = fresh is { Full: true } ? null : fresh?.ConnectionsOf(applicationPrefix),
            MaxConnections = fresh?.MaxConnections,
            LongestTransactionSeconds = fresh is { Full: true } ? null : fresh?.LongestTransactionSeconds,
            // Counters reset when the server restarts: a negative delta is a restart, not negative work.
            Commits = Delta(fresh?.Commits, previousDatabase?.Commits),
            Rollbacks = Delta(fresh?.Rollbacks, previousDatabase?.Rollbacks),
            Deadlocks = Delta(fresh?.Deadlocks, previousDatabase?.Deadlocks),
            WriteFailures = CounterDeltasBy(metrics, "widgetify.database.write_failures", "sqlstate"),
            WalArchiveFailing = fresh?.Archiver?.Failing,
            WalArchiveFailures = Delta(fresh?.Archiver?.FailedCount, previousDatabase?.Archiver?.FailedCount),
            WalArchiveFailedSegment = fresh?.Archiver?.LastFailedWal,
        };
    }

    private static long Delta(long? current, long? previous) =>
        current is { } c && previous is { } p && c >= p ? c - p : 0;

    private bool IsPrimary(MetricSeries series) => series.Tag("db.client.connection.pool.name") == primaryPoolName;

    private static bool IsOperators(MetricSeries series) =>
        series.Tag(TrafficExtensions.TrafficTag) == TrafficExtensions.OperatorTagValue;

    private (long Requests, long Errors5xx, long Unavailable, long ClientClosed, LatencyDistribution All, LatencyDistribution Served) Http(MetricsSnapshot metrics)
    {
        long requests = 0, errors = 0, unavailable = 0, clientClosed = 0;
        var all = LatencyDistribution.Empty;
        var served = LatencyDistribution.Empty;
        if (metrics.Find(HttpDuration) is not { } family)
        {
            return (0, 0, 0, 0, all, served);
        }

        foreach (var series in family.Series)
        {
            if (series.Histogram is not { } histogram)
            {
                continue;
            }

            var delta = Advance(HttpDuration, series, histogram);
            if (IsOperators(series) || delta.Count == 0)
            {
                continue;
            }

            var status = series.Tag(StatusTag);
            requests += delta.Count;
            all = all.Add(delta);
            if (status is { Length: 3 } && status[0] == '5')
            {
                errors += delta.Count;
            }

            if (status == ClientClosedStatus)
            {
                clientClosed += delta.Count; // a client that gave up: its own class, not a failure and not served
            }
            else if (status == "503")
            {
                unavailable += delta.Count;
            }
            else
            {
                served = served.Add(delta);
            }
        }

        return (requests, errors, unavailable, clientClosed, all, served);
    }

    private LatencyDistribution HistogramDelta(MetricsSnapshot metrics, string name, Func<MetricSeries, bool> include)
    {
        var sum = LatencyDistribution.Empty;
        if (metrics.Find(name) is not { } family)
        {
            return sum;
        }

        foreach (var series in family.Series)
        {
            if (series.Histogram is { } histogram)
            {
                var delta = Advance(name, series, histogram);
                if (include(series) && delta.Count > 0)
                {
                    sum = sum.Add(delta);
                }
            }
        }

        return sum;
    }

    private LatencyDistribution Advance(string name, MetricSeries series, HistogramValue histogram)
    {
        var key = Key(name, series);
        _previousHistograms.TryGetValue(key, out var earlier);
        _previousHistograms[key] = histogram;
        return histogram.Since(earlier);
    }

    private double CounterDelta(MetricsSnapshot metrics, string name, Func<MetricSeries, bool> include)
    {
        double sum = 0;
        if (metrics.Find(name) is not { } family)
        {
            return 0;
        }

        foreach (var series in family.Series)
        {
            var key = Key(name, series);
            var previous = _previousCounters.GetValueOrDefault(key);
            _previousCounters[key] = series.Value;
            if (include(series) && series.Value >= previous)
            {
                sum += series.Value - previous;
            }
        }

        return sum;
    }

    /// <summary>The interval's increase of each series of a counter, summed by the value of <paramref name="tag"/>; only
    /// the values that increased.</summary>
    private Dictionary<string, long> CounterDeltasBy(MetricsSnapshot metrics, string name, string tag)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        if (metrics.Find(name) is not { } family)
        {
            return sums;
        }

        foreach (var series in family.Series)
        {
            var key = Key(name, series);
            var previous = _previousCounters.GetValueOrDefault(key);
            _previousCounters[key] = series.Value;
            if (series.Value > previous && series.Tag(tag) is { } value)
            {
                sums[value] = sums.GetValueOrDefault(value) + (long)(series.Value - previous);
            }
        }

        return sums;
    }

    private static double Gauge(MetricsSnapshot metrics, string name, Func<MetricSeries, bool> include) =>
        metrics.Find(name) is { } family ? family.Series.Where(include).Sum(s => s.Value) : 0;

    private static string Key(string name, MetricSeries series) =>
        name + "|" + string.Join(',', series.Tags.Select(t => t.Key + "=" + t.Value));
}
