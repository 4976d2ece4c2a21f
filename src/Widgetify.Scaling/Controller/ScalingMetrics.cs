using System.Diagnostics.Metrics;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Controller;

/// <summary>Metrics of the autoscaler: its actions by direction and result, the standbys by state, the read path's
/// saturation as the law computes it, and whether this instance leads.</summary>
public sealed class ScalingMetrics
{
    /// <summary>The meter's name, to enable in OpenTelemetry.</summary>
    public const string MeterName = "Widgetify.Scaling";

    private static readonly ReplicaState[] States = Enum.GetValues<ReplicaState>();

    private readonly Counter<long> actions;
    private readonly IReplicaStateSource? replicaStates;
    private double saturation = double.NaN;
    private int leading;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter.</param>
    /// <param name="replicaStates">Feeds <c>widgetify.replicas</c>; without it that gauge reports nothing.</param>
    public ScalingMetrics(IMeterFactory meterFactory, IReplicaStateSource? replicaStates = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        this.replicaStates = replicaStates;
        var meter = meterFactory.Create(MeterName);
        actions = meter.CreateCounter<long>(
            "widgetify.scaling.actions", "{action}",
            "Scaling actions that ended, by direction (out, in, replace) and result (succeeded, failed); retries are not counted apart.");
        meter.CreateObservableGauge(
            "widgetify.replicas", ObserveReplicas, "{replica}", "Standbys by state: ready, lagging, draining, starting, down.");
        meter.CreateObservableGauge(
            "widgetify.scaling.saturation", ObserveSaturation, "1",
            "The read path's saturation in the latest second: its signal closest to target, as a ratio of that target (1 is at target).");
        meter.CreateObservableGauge(
            "widgetify.scaling.leader", () => Volatile.Read(ref leading), "1", "1 while this instance runs the fleet's autoscaler.");
    }

    internal void RecordAction(ScalingDirection direction, ScalingResult result) =>
        actions.Add(
            1,
            new KeyValuePair<string, object?>("direction", CommandActionDocument.WireName(direction)),
            new KeyValuePair<string, object?>("result", DecisionStore.ToDatabase(result)));

    /// <summary>The read path's saturation in the latest second as the law computed it; null before the first.</summary>
    public double? Saturation => Volatile.Read(ref saturation) is var value && double.IsNaN(value) ? null : value;

    /// <summary>Whether this instance runs the fleet's autoscaler now.</summary>
    public bool Leading => Volatile.Read(ref leading) == 1;

    internal void SetSaturation(double value) => Volatile.Write(ref saturation, value);

    internal void SetLeading(bool value) => Volatile.Write(ref leading, value ? 1 : 0);

    /// <summary>The state names as the gauge's <c>state</c> tag spells them.</summary>
    internal static string StateName(ReplicaState state) => state switch
    {
        ReplicaState.Ready => "ready",
        ReplicaState.Lagging => "lagging",
        ReplicaState.Draining => "draining",
        ReplicaState.Starting => "starting",
        _ => "down",
    };

    private IEnumerable<Measurement<double>> ObserveSaturation()
    {
        var value = Volatile.Read(ref saturation);
        return double.IsNaN(value) ? [] : [new Measurement<double>(value)];
    }

    private IEnumerable<Measurement<int>> ObserveReplicas()
    {
        if (replicaStates is null)
        {
            return [];
        }

        // Every state, zeros included, so a series does not vanish when its last standby leaves the state.
        var counts = replicaStates.CountByState();
        return States.Select(s => new Measurement<int>(
            counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", StateName(s))));
    }
}
