using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Tests.Alerts;

/// <summary>Drives an <see cref="AlertEvaluator"/> as the service does, one snapshot and one evaluation per second,
/// at explicit times (no clock, no sleeps), and keeps every transition.</summary>
public sealed class AlertScript
{
    /// <summary>Second 0 of every script.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 2, 15, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Latency buckets 10 ms wide up to 10 s, so a window whose requests all took <c>x</c> seconds has a p99
    /// of x - 0.0001 (interpolated 99% into its bucket).</summary>
    private static readonly double[] Bounds = [.. Enumerable.Range(1, 1000).Select(i => i / 100.0)];

    public AlertScript(AlertOptions? options = null, ServiceLevelObjectives? slo = null, int capacity = 6 * 3600)
    {
        Options = options ?? new AlertOptions();
        History = new SignalHistory(capacity);
        Evaluator = new AlertEvaluator(Options, slo ?? new ServiceLevelObjectives());
    }

    public AlertOptions Options { get; }

    public SignalHistory History { get; }

    public AlertEvaluator Evaluator { get; }

    /// <summary>Seconds since <see cref="T0"/> of the last snapshot.</summary>
    public int Second { get; private set; }

    public List<AlertTransition> Transitions { get; } = [];

    public static DateTimeOffset At(int second) => T0.AddSeconds(second);

    /// <summary>Every request in <paramref name="count"/> took <paramref name="seconds"/> (a multiple of 10 ms).</summary>
    public static LatencyDistribution Latency(double seconds, long count)
    {
        var counts = new long[Bounds.Length + 1];
        counts[(int)Math.Round(seconds * 100) - 1] = count;
        return new LatencyDistribution(Bounds, counts);
    }

    /// <summary>Appends <paramref name="seconds"/> snapshots made by <paramref name="make"/> (from a snapshot already
    /// timed), evaluating after each one.</summary>
    public AlertScript Run(int seconds, Func<SignalSnapshot, SignalSnapshot> make)
    {
        for (var i = 0; i < seconds; i++)
        {
            Second++;
            History.Add(make(new SignalSnapshot { At = At(Second) }));
            Transitions.AddRange(Evaluator.Evaluate(History, At(Second)));
        }

        return this;
    }

    /// <summary>Appends snapshots without evaluating (to build hours of history quickly), then evaluates once.</summary>
    public IReadOnlyList<AlertTransition> Fill(int seconds, Func<SignalSnapshot, SignalSnapshot> make)
    {
        for (var i = 0; i < seconds; i++)
        {
            Second++;
            History.Add(make(new SignalSnapshot { At = At(Second) }));
        }

        var transitions = Evaluator.Evaluate(History, At(Second));
        Transitions.AddRange(transitions);
        return transitions;
    }

    /// <summary>The transitions of <paramref name="name"/>, as (from, to, second).</summary>
    public List<(AlertState From, AlertState To, int Second)> Of(string name) =>
        [.. Transitions.Where(t => t.Alert.Name == name).Select(t => (t.From, t.To, (int)(t.At - T0).TotalSeconds))];

    public AlertSnapshot? Active(string name) => Evaluator.Active.SingleOrDefault(a => a.Name == name);

    /// <summary>A healthy second: 100 requests of 20 ms, the database up, a quiet pool.</summary>
    public static SignalSnapshot Healthy(SignalSnapshot s) => s with
    {
        Requests = 100,
        Latency = Latency(0.02, 100),
        ConnectionShare = 10,
        PoolUsed = 2,
        ServerConnections = 20,
        MaxConnections = 100,
    };
}
