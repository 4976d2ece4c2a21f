using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Incidents.Impact;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Persistence;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Incidents.Tests;

/// <summary>Crafted seconds and alerts, at explicit times.</summary>
internal static class Signals
{
    public static readonly DateTimeOffset T0 = new(2026, 2, 15, 8, 0, 0, TimeSpan.Zero);

    private static readonly double[] Bounds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    /// <summary><paramref name="count"/> observations in the bucket holding <paramref name="seconds"/>.</summary>
    public static LatencyDistribution Latency(double seconds, long count)
    {
        var counts = new long[Bounds.Length + 1];
        var bucket = Array.FindIndex(Bounds, b => seconds <= b);
        counts[bucket < 0 ? Bounds.Length : bucket] = count;
        return new LatencyDistribution(Bounds, counts);
    }

    /// <summary>A second of traffic: <paramref name="latency"/> for served requests and those whose clients gave up
    /// (<paramref name="clientClosed"/>, not served), sheds answered at once.</summary>
    public static SignalSnapshot Second(
        int second, long requests = 100, double latency = 0.08, long shed = 0, long errors = 0, double limit = 100, long queued = 0,
        long poolUsed = 5, long share = 20, long pending = 0, long? serverConnections = 30, long? maxConnections = 100, bool databaseUp = true,
        double? longestTransaction = null, long deadlocks = 0, long rollbacks = 0, long commits = 100, long clientClosed = 0) => new()
    {
        At = T0.AddSeconds(second),
        Requests = requests,
        Shed = shed,
        ServerErrors = errors,
        ClientClosed = clientClosed,
        Latency = Latency(latency, requests - shed).Add(Latency(0.01, shed)),
        ServedLatency = Latency(latency, requests - shed - clientClosed),
        AdmissionLimit = limit,
        AdmissionInFlight = Math.Min((long)limit, requests),
        AdmissionQueued = queued,
        PoolUsed = poolUsed,
        PoolIdle = Math.Max(0, share - poolUsed),
        PoolPending = pending,
        ConnectionShare = share,
        ConnectionBudget = share * 2,
        DatabaseUp = databaseUp,
        ServerConnections = serverConnections,
        MaxConnections = maxConnections,
        LongestTransactionSeconds = longestTransaction,
        Deadlocks = deadlocks,
        Rollbacks = rollbacks,
        Commits = commits,
    };

    public static AlertSnapshot Alert(string name, AlertState state, DateTimeOffset? firingSince, string summary) => new()
    {
        Name = name,
        Severity = AlertSeverity.Page,
        State = state,
        PendingSince = firingSince,
        FiringSince = firingSince,
        ResolvedAt = state == AlertState.Resolved ? firingSince : null,
        Summary = summary,
        Values = new Dictionary<string, double> { ["value"] = 1 },
        Runbook = $"docs/runbooks/{name}.md",
    };

    public static AlertTransition Fire(string name, int second, string summary = "p99 1.8 s over 10 s, 12x the 0.15 s baseline") =>
        new(Alert(name, AlertState.Firing, T0.AddSeconds(second), summary), AlertState.Pending, T0.AddSeconds(second));

    public static AlertTransition Resolve(string name, int firedAt, int second) =>
        new(Alert(name, AlertState.Resolved, T0.AddSeconds(firedAt), "back to normal") with { ResolvedAt = T0.AddSeconds(second) }, AlertState.Firing, T0.AddSeconds(second));
}

/// <summary>The monitoring loop in a test: each <see cref="Second"/> appends to the history, keeps the active alerts
/// from the transitions and calls <see cref="IncidentTracker.Observe"/>.</summary>
internal sealed class Scenario : IAsyncDisposable
{
    private readonly Dictionary<string, AlertSnapshot> _active = new(StringComparer.Ordinal);

    public Scenario(
        IncidentStore store, ClientImpactTracker? clients = null, IncidentOptions? options = null, string instance = "a", FakeTimeProvider? time = null,
        ILogger<IncidentTracker>? logger = null)
    {
        Time = time ?? new FakeTimeProvider(Signals.T0);
        Options = options ?? new IncidentOptions();
        Clients = clients ?? new ClientImpactTracker(Options, Time);
        Tracker = new IncidentTracker(Options, Slo, Alerts, store, Clients, instance, Time, logger ?? NullLogger<IncidentTracker>.Instance);
    }

    public FakeTimeProvider Time { get; }

    public IncidentOptions Options { get; }

    public ServiceLevelObjectives Slo { get; } = new();

    public AlertOptions Alerts { get; } = new();

    public SignalHistory History { get; } = new(3600);

    public ClientImpactTracker Clients { get; }

    public IncidentTracker Tracker { get; }

    public void Second(SignalSnapshot snapshot, params AlertTransition[] transitions)
    {
        foreach (var t in transitions)
        {
            if (t.To is AlertState.Firing or AlertState.Pending)
            {
                _active[t.Alert.Name] = t.Alert;
            }
            else
            {
                _active.Remove(t.Alert.Name);
            }
        }

        History.Add(snapshot);
        Tracker.Observe(snapshot, transitions, History, [.. _active.Values]);
    }

    /// <summary>Seconds <paramref name="from"/> to <paramref name="to"/> inclusive, built by <paramref name="make"/>.</summary>
    public void Seconds(int from, int to, Func<int, SignalSnapshot> make)
    {
        for (var i = from; i <= to; i++)
        {
            Second(make(i));
        }
    }

    public async Task FlushAsync() => (await Tracker.FlushAsync(CancellationToken.None)).ShouldBeTrue("the database is up, so the flush must succeed");

    public ValueTask DisposeAsync() => Tracker.DisposeAsync();
}
