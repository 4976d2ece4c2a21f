using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Tests.Providers;

namespace Widgetify.Scaling.Tests.Controller;

[Collection(ScalingDatabaseGroup.Name)]
public sealed class ScalingControllerTests(ScalingDatabase database) : IAsyncLifetime
{
    private static readonly ScalingOptions Options = new() { MinReplicas = 1, MaxReplicas = 3, RetryAttempts = 1, RetryDelay = TimeSpan.FromSeconds(1) };

    private readonly TimerCountingFakeTimeProvider time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private ScratchDatabase scratch = null!;

    public async Task InitializeAsync() => scratch = await database.CreateScratchAsync(withTables: false);

    public async Task DisposeAsync() => await scratch.DisposeAsync();

    private ControllerHarness Harness(string name, ScriptedProvider? provider = null, ScalingOptions? options = null) =>
        new(scratch, name, options ?? Options, time, provider);

    /// <summary>Seconds at <paramref name="saturation"/>: the clock moves one second, then every harness ticks.</summary>
    private async Task SecondsAsync(int seconds, double saturation, int liveReplicas, params ControllerHarness[] fleet)
    {
        for (var i = 0; i < seconds; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            foreach (var harness in fleet)
            {
                await harness.TickAsync(saturation, liveReplicas);
            }
        }
    }

    [Fact]
    public async Task TickAsync_LeaderSaturatedForTheWindow_ScalesOutAndRecordsEverywhere()
    {
        // Arrange
        await using var a = Harness("a");
        using var actions = new MetricCollector<long>(a.MeterFactory, ScalingMetrics.MeterName, "widgetify.scaling.actions");

        // Act: ten saturated seconds
        await SecondsAsync(10, 1.5, 1, a);
        await a.Controller.ActionInFlight;

        // Assert: the provider was asked for one more standby, with the signals
        var action = a.Provider.Attempts.ShouldHaveSingleItem();
        (action.Direction, action.CurrentReplicas, action.DesiredReplicas).ShouldBe((ScalingDirection.Out, 1, 2));
        action.Signals.ShouldNotBeNull().ReadPoolUtilization.ShouldBe(1.2, tolerance: 1e-9);

        // ... and the decision is in memory, in the table, in the metric, in the log and with the observers
        var recorded = a.Decisions.Recent.ShouldHaveSingleItem();
        (recorded.Direction, recorded.From, recorded.To, recorded.Result, recorded.Instance).ShouldBe(
            (ScalingDirection.Out, 1, 2, ScalingResult.Succeeded, "a"));
        recorded.Reason.ShouldContain("read pool utilisation 1.20 (target 0.80)");
        var stored = (await a.Decisions.ReadFleetAsync(10, CancellationToken.None)).ShouldHaveSingleItem();
        stored.ShouldBe(recorded with { At = stored.At, CompletedAt = stored.CompletedAt });
        stored.At.ShouldBe(recorded.At, TimeSpan.FromMilliseconds(1)); // timestamptz keeps microseconds
        var counted = actions.GetMeasurementSnapshot().ShouldHaveSingleItem();
        (counted.Value, counted.Tags["direction"], counted.Tags["result"]).ShouldBe((1L, "out", "succeeded"));
        a.Logger.Collector.GetSnapshot().ShouldContain(r => r.Message.StartsWith("Scaling Out: 1 -> 2 standbys.", StringComparison.Ordinal));
        a.Observer.Seen.ShouldBe(["decided Out 1->2 Pending", "completed Out 1->2 Succeeded"]);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task TickAsync_TicksEveryOtherSecond_ScalesOutOnlyWhenTheSourceGivesTheSecondsInBetween(bool keepsRecent, int actions)
    {
        // Arrange: the loop comes late (a slow lease renewal on a busy database): ten saturated seconds, five ticks.
        await using var a = Harness("a");
        a.Signals.KeepsRecent = keepsRecent;

        // Act
        for (var second = 1; second <= 10; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            a.Publish(1.5, 1);
            if (second % 2 == 0)
            {
                await a.Controller.TickAsync(CancellationToken.None);
            }
        }

        await a.Controller.ActionInFlight;

        // Assert: with every second taken in, 10 of 10 are saturated; with the latest alone, 5 of 10 never reach 9.
        a.Provider.Attempts.Count.ShouldBe(actions);
    }

    [Fact]
    public async Task TickAsync_TwoInstances_OnlyTheLeaderDecides()
    {
        // Arrange
        await using var a = Harness("a");
        await using var b = Harness("b");

        // Act
        await SecondsAsync(10, 1.5, 1, a, b);
        await a.Controller.ActionInFlight;

        // Assert
        a.Controller.Lease.IsHeld.ShouldBeTrue();
        b.Controller.Lease.IsHeld.ShouldBeFalse();
        a.Provider.Attempts.Count.ShouldBe(1);
        b.Provider.Attempts.ShouldBeEmpty();
        b.Decisions.Recent.ShouldBeEmpty();
        (await b.Decisions.ReadFleetAsync(10, CancellationToken.None)).ShouldHaveSingleItem().Instance.ShouldBe("a");
    }

    [Fact]
    public async Task StopAsync_Leader_AnotherTakesOverAtOnceAndKeepsTheCooldown()
    {
        // Arrange: a scaled out, then stops
        await using var a = Harness("a");
        await using var b = Harness("b");
        await SecondsAsync(10, 1.5, 1, a, b);
        await a.Controller.ActionInFlight;
        await a.Controller.StopAsync(CancellationToken.None);

        // Act: still saturated on two standbys, 30 s later
        await SecondsAsync(30, 1.5, 2, b);

        // Assert: b leads, and knows from the table that the last action ended 30 s ago
        b.Controller.Lease.IsHeld.ShouldBeTrue();
        b.Provider.Attempts.ShouldBeEmpty();
        b.Controller.LastEvaluation.ShouldNotBeNull().Reason.ShouldContain("cooldown");
        b.Logger.Collector.GetSnapshot().ShouldContain(r => r.Message.StartsWith("b leads the autoscaler now", StringComparison.Ordinal));

        // ... and once the cooldown is over it acts
        await SecondsAsync(30, 1.5, 2, b);
        await b.Controller.ActionInFlight;
        b.Provider.Attempts.ShouldHaveSingleItem().DesiredReplicas.ShouldBe(3);
    }

    [Fact]
    public async Task TickAsync_LeaderDiedDuringAnAction_TheNextLeaderTakesOverAfterExpiryAndMarksItFailed()
    {
        // Arrange: a's provider hangs; a stops ticking (it died) with its action pending
        var hanging = new ScriptedProvider(ScalingActionResult.Success("never")) { Gate = new TaskCompletionSource() };
        await using var a = Harness("a", hanging);
        await using var b = Harness("b");
        await SecondsAsync(10, 1.5, 1, a, b);
        (await a.Decisions.ReadFleetAsync(10, CancellationToken.None)).ShouldHaveSingleItem().Result.ShouldBe(ScalingResult.Pending);

        // Act: refused while a's lease lasts, taken once it has expired on the database clock
        await SecondsAsync(1, 1.5, 1, b);
        var leadingBefore = b.Controller.Lease.IsHeld;
        await ScalingDatabase.ExpireLeaseAsync(scratch);
        await SecondsAsync(1, 1.5, 1, b);

        // Assert
        leadingBefore.ShouldBeFalse();
        b.Controller.Lease.IsHeld.ShouldBeTrue();
        var abandoned = (await b.Decisions.ReadFleetAsync(10, CancellationToken.None)).ShouldHaveSingleItem();
        abandoned.Result.ShouldBe(ScalingResult.Failed);
        abandoned.Message.ShouldNotBeNull().ShouldContain("b took over");

        // ... and an abandoned action counts as one that failed just now: the fleet may be half-changed, so it settles first
        await SecondsAsync(1, 1.5, 1, b);
        b.Controller.LastEvaluation.ShouldNotBeNull().Reason.ShouldContain("cooldown");
        b.Provider.Attempts.ShouldBeEmpty();
        await a.Controller.StopAsync(CancellationToken.None); // ends the hanging attempt
    }

    [Fact]
    public async Task TickAsync_LeaseLostDuringAnAction_TheActionIsCancelledAndRecordedFailed()
    {
        // Arrange
        var hanging = new ScriptedProvider(ScalingActionResult.Success("never")) { Gate = new TaskCompletionSource() };
        await using var a = Harness("a", hanging);
        await SecondsAsync(10, 1.5, 1, a);
        await ScalingDatabase.StealLeaseAsync(scratch, "c");

        // Act
        await SecondsAsync(1, 1.5, 1, a);
        await a.Controller.ActionInFlight;

        // Assert
        a.Controller.Lease.IsHeld.ShouldBeFalse();
        var recorded = a.Decisions.Recent.ShouldHaveSingleItem();
        recorded.Result.ShouldBe(ScalingResult.Failed);
        recorded.Message.ShouldNotBeNull().ShouldContain("lost the leader lease");
        a.Logger.Collector.GetSnapshot().ShouldContain(r => r.Message == "a no longer leads the autoscaler: c holds the leader lease");
    }

    [Fact]
    public async Task TickAsync_ActionFailsEveryAttempt_RetriedThenRecordedFailedAndCounted()
    {
        // Arrange
        var failing = new ScriptedProvider(ScalingActionResult.Failure("kubectl: Unauthorized"));
        await using var a = Harness("a", failing);
        using var actions = new MetricCollector<long>(a.MeterFactory, ScalingMetrics.MeterName, "widgetify.scaling.actions");
        await SecondsAsync(10, 1.5, 1, a);

        // Act: the retry waits on the fake clock
        // What the state says when this gives up (a run of the suite saw it once, with the action completed): whether the action began
        // at all (attempts, the last evaluation, the lease) or ended without a retry delay.
        await BoundedWait.UntilAsync(
            () => time.ArmedTimers > 0,
            () => $"action {a.Controller.ActionInFlight.Status}, attempts [{string.Join(", ", failing.Attempts.Select(x => x.Attempt))}], " +
                $"lease held {a.Controller.Lease.IsHeld}, last evaluation: {a.Controller.LastEvaluation?.Reason ?? "none"}; " +
                $"log: {string.Join(" | ", a.Logger.Collector.GetSnapshot().Select(r => r.Message))}",
            "the retry is waited for");
        time.Advance(Options.MaxRetryDelay);
        await a.Controller.ActionInFlight;

        // Assert
        failing.Attempts.Select(x => x.Attempt).ShouldBe([1, 2]);
        var recorded = a.Decisions.Recent.ShouldHaveSingleItem();
        (recorded.Result, recorded.Message).ShouldBe((ScalingResult.Failed, "kubectl: Unauthorized"));
        actions.GetMeasurementSnapshot().ShouldHaveSingleItem().Tags["result"].ShouldBe("failed");
        var logs = a.Logger.Collector.GetSnapshot();
        logs.ShouldContain(r => r.Message.Contains("attempt 1, failed; retrying", StringComparison.Ordinal));
        logs.ShouldContain(r => r.Message.Contains("failed after every attempt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TickAsync_StandbyDiesJustAfterAScaleOut_ReplacedWithoutWaitingForTheCooldown()
    {
        // Arrange: scaled out to 2
        await using var a = Harness("a", options: new ScalingOptions { MinReplicas = 2, MaxReplicas = 4 });
        await SecondsAsync(1, 0.7, 2, a);
        await SecondsAsync(10, 1.5, 2, a);
        await a.Controller.ActionInFlight;

        // Act: 3 live, then one dies, then another
        await SecondsAsync(2, 0.7, 3, a);
        await SecondsAsync(1, 0.7, 1, a);
        await a.Controller.ActionInFlight;

        // Assert
        a.Provider.Attempts.Select(x => (x.Direction, x.DesiredReplicas)).ShouldBe([(ScalingDirection.Out, 3), (ScalingDirection.Replace, 2)]);
    }

    [Fact]
    public async Task TickAsync_ProviderReportsItsCount_TheNextDecisionStartsFromIt()
    {
        // Arrange: the router sees one endpoint (a read-only service) whatever the count; the script reports 3
        var reporting = new ScriptedProvider(ScalingActionResult.Success("done", [new ReadEndpoint("pg-ro", "Host=pg-ro")], replicas: 3));
        await using var a = Harness("a", reporting, new ScalingOptions { MinReplicas = 1, MaxReplicas = 5, Cooldown = TimeSpan.FromSeconds(5) });
        await SecondsAsync(10, 1.5, 1, a);
        await a.Controller.ActionInFlight;

        // Act
        await SecondsAsync(10, 1.5, 1, a);
        await a.Controller.ActionInFlight;

        // Assert
        reporting.Attempts.Select(x => (x.CurrentReplicas, x.DesiredReplicas)).ShouldBe([(1, 2), (3, 4)]);
        a.Observer.LastResult.ShouldNotBeNull().Endpoints.ShouldNotBeNull().ShouldHaveSingleItem().Name.ShouldBe("pg-ro");
        a.Decisions.Recent[0].ReplicasAfter.ShouldBe(3);
    }

    [Fact]
    public async Task TickAsync_ObserverThrows_TheActionAndTheLoopGoOn()
    {
        // Arrange
        await using var a = Harness("a");
        a.Observer.Throw = new InvalidOperationException("timeline is down");

        // Act
        await SecondsAsync(10, 1.5, 1, a);
        await a.Controller.ActionInFlight;

        // Assert
        a.Decisions.Recent.ShouldHaveSingleItem().Result.ShouldBe(ScalingResult.Succeeded);
        a.Logger.Collector.GetSnapshot().Count(r => r.Message.StartsWith("A scaling observer", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public async Task TickAsync_TablesDropped_CreatedAgainOnTheNextTicks()
    {
        // Arrange
        await using var a = Harness("a");
        await SecondsAsync(1, 0.7, 1, a);
        await scratch.ExecuteAsync("DROP TABLE widgetify_scaling_leader, widgetify_scaling_decisions");

        // Act: one tick fails and notices, the next creates the tables again
        await SecondsAsync(2, 0.7, 1, a);

        // Assert
        a.Controller.Lease.IsHeld.ShouldBeTrue();
        (await scratch.ScalarAsync<long>("SELECT count(*) FROM widgetify_scaling_leader")).ShouldBe(1);
    }

    [Fact]
    public async Task ExecuteAsync_Enabled_TicksOnTheInjectedClock()
    {
        // Arrange
        await using var a = Harness("a");
        a.Signals.Latest = null;

        // Act
        await a.Controller.StartAsync(CancellationToken.None);
        await BoundedWait.UntilAsync(() => time.ArmedTimers > 0, () => "no timer", "the loop waits for its first tick");
        // A tick at a time, as long as the loop waits for one: a tick whose lease query failed on a busy machine is
        // followed by the next, as in service (a single advance left the loop waiting forever, seen in a run of the suite).
        await BoundedWait.UntilAsync(
            () =>
            {
                if (!a.Controller.Lease.IsHeld && time.ArmedTimers > 0)
                {
                    time.Advance(ScalingController.TickInterval);
                }

                return a.Controller.Lease.IsHeld;
            },
            () => $"not leading; log: {string.Join(" | ", a.Logger.Collector.GetSnapshot().Select(r => r.Message))}",
            "a tick takes the lease");
        await a.Controller.StopAsync(CancellationToken.None);

        // Assert: stopping gives the lease up
        (await scratch.ScalarAsync<long>("SELECT count(*) FROM widgetify_scaling_leader")).ShouldBe(0);
    }

    [Fact]
    public async Task ExecuteAsync_Disabled_SaysSoAndDoesNothing()
    {
        // Arrange
        await using var a = Harness("a", options: new ScalingOptions { MinReplicas = 2, MaxReplicas = 2 });

        // Act
        await a.Controller.StartAsync(CancellationToken.None);
        await a.Controller.ExecuteTask!;

        // Assert
        a.Logger.Collector.GetSnapshot().ShouldContain(r => r.Message.StartsWith("Autoscaler off", StringComparison.Ordinal));
        time.ArmedTimers.ShouldBe(0);
    }
}
