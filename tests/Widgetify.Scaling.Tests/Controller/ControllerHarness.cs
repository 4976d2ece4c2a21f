using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;
using Widgetify.Scaling.Tests.Providers;

namespace Widgetify.Scaling.Tests.Controller;

/// <summary>A <see cref="ScalingController"/> on a real database with a fake clock, a settable signal source, a
/// scripted provider and a recording observer. Several harnesses may share one database and one clock: a fleet.</summary>
internal sealed class ControllerHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;

    public ControllerHarness(
        ScratchDatabase database, string name, ScalingOptions options, TimerCountingFakeTimeProvider time, ScriptedProvider? provider = null,
        IReplicaStateSource? replicaStates = null)
    {
        Time = time;
        Options = options;
        Provider = provider ?? new ScriptedProvider(ScalingActionResult.Success("done"));
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        MeterFactory = services.GetRequiredService<IMeterFactory>();
        Metrics = new ScalingMetrics(MeterFactory, replicaStates);
        Decisions = new ScalingDecisionLog(database.DataSource);
        Controller = new ScalingController(
            options, new ScalingInstance { ControlConnection = database.DataSource, InstanceName = name }, Signals, Provider,
            [Observer], Decisions, Metrics, time, () => 0.5, Logger);
    }

    public TimerCountingFakeTimeProvider Time { get; }

    public ScalingOptions Options { get; }

    public ScalingController Controller { get; }

    public ScriptedProvider Provider { get; }

    public SettableSignals Signals { get; } = new();

    public RecordingObserver Observer { get; } = new();

    public ScalingDecisionLog Decisions { get; }

    public ScalingMetrics Metrics { get; }

    public IMeterFactory MeterFactory { get; }

    public FakeLogger<ScalingController> Logger { get; } = new();

    /// <summary>Publishes a second at <paramref name="saturation"/> (carried by the read pool's utilisation) ending now,
    /// with <paramref name="liveReplicas"/> standbys, and runs one tick.</summary>
    public Task TickAsync(double saturation, int liveReplicas)
    {
        Publish(saturation, liveReplicas);
        return Controller.TickAsync(CancellationToken.None);
    }

    /// <summary>Publishes a second as <see cref="TickAsync"/> does, without a tick: the controller's loop came late.</summary>
    public void Publish(double saturation, int liveReplicas) =>
        Signals.Latest = new ReadPathSignals
        {
            At = Time.GetUtcNow(),
            ReadPoolUtilization = saturation * Options.ReadPoolUtilizationTarget,
            ReadAdmittedPerSecond = 100,
            ReadyReplicas = liveReplicas,
            LiveReplicas = liveReplicas,
        };

    public async ValueTask DisposeAsync()
    {
        Controller.Dispose();
        await services.DisposeAsync();
    }
}

/// <summary>A signal source whose latest second the test sets. With <see cref="KeepsRecent"/> it also gives the seconds
/// set before (as the service's feed does); without, only the latest (as a source that lost the seconds between ticks).</summary>
internal sealed class SettableSignals : IReadPathSignalSource
{
    private readonly List<ReadPathSignals> recent = [];
    private ReadPathSignals? latest;

    public bool KeepsRecent { get; set; }

    public ReadPathSignals? Latest
    {
        get => latest;
        set
        {
            latest = value;
            if (value is not null)
            {
                recent.Add(value);
            }
        }
    }

    public IReadOnlyList<ReadPathSignals> GetRecent() => KeepsRecent ? [.. recent] : latest is { } l ? [l] : [];
}

/// <summary>Records what observers are told, in order.</summary>
internal sealed class RecordingObserver : IScalingObserver
{
    private readonly Lock sync = new();
    private readonly List<string> seen = [];

    public Exception? Throw { get; set; }

    public ScalingActionResult? LastResult { get; private set; }

    public IReadOnlyList<string> Seen
    {
        get
        {
            lock (sync)
            {
                return [.. seen];
            }
        }
    }

    public void OnDecided(ScalingDecisionRecord decision) => Record($"decided {decision.Direction} {decision.From}->{decision.To} {decision.Result}");

    public void OnCompleted(ScalingDecisionRecord decision, ScalingActionResult result)
    {
        LastResult = result;
        Record($"completed {decision.Direction} {decision.From}->{decision.To} {decision.Result}");
    }

    private void Record(string what)
    {
        lock (sync)
        {
            seen.Add(what);
        }

        if (Throw is { } exception)
        {
            throw exception;
        }
    }
}
