using Microsoft.Extensions.Time.Testing;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Lifecycle;

/// <summary>The decide step on recorded seconds: no database, no tracker, a fake clock stamping the seconds.</summary>
public sealed class IncidentLifecycleTests
{
    private readonly FakeTimeProvider _clock = new(T0);

    [Fact]
    public void Decide_NoIncidentAndSeveralAlertsFire_OpensWithTheMostSpecificAlert()
    {
        // Arrange
        var lifecycle = Lifecycle();
        var transitions = IncidentLifecycle.Order([Fire("ErrorBudgetBurn", 1), Fire("PoolSaturation", 1)]);

        // Act
        var decision = lifecycle.Decide(LifecycleState.None, Slow(), transitions, [Active("PoolSaturation", AlertState.Firing)]);

        // Assert
        decision.OpenedBy.ShouldBe(0);
        transitions[0].Alert.Name.ShouldBe("PoolSaturation");
        decision.Next.Status.ShouldBe(IncidentStatus.Open);
        decision.Steps.ShouldBeEmpty();
        decision.Reason.ShouldBe("opened by PoolSaturation; open: PoolSaturation is firing");
    }

    [Fact]
    public void Decide_NoIncidentAndAFiringAlertEscalates_OpensNothing()
    {
        // Arrange: ErrorBudgetBurn was firing already (a ticket) and became a page.
        var lifecycle = Lifecycle();
        var escalation = new AlertTransition(Alert("ErrorBudgetBurn", AlertState.Firing, T0, "burning"), AlertState.Firing, T0.AddSeconds(1));

        // Act
        var decision = lifecycle.Decide(LifecycleState.None, Slow(), [escalation], []);

        // Assert
        decision.OpenedBy.ShouldBeNull();
        decision.Next.ShouldBe(LifecycleState.None);
        decision.Reason.ShouldBe("no incident: no alert started firing");
    }

    [Fact]
    public void Decide_OpenAndMitigatedForMitigatedAfter_MitigatesDatedAtTheStartOfTheRun()
    {
        // Arrange: the alert still fires (no resolution), but the served requests meet the objectives again.
        var lifecycle = Lifecycle(mitigatedAfter: 3);
        var state = LifecycleState.Opened;
        var firing = new[] { Active("ResponseTimeSpike", AlertState.Firing) };
        var first = Healthy();
        state = lifecycle.Decide(state, first, [], firing).Next;
        state = lifecycle.Decide(state, Healthy(), [], firing).Next;

        // Act
        var decision = lifecycle.Decide(state, Healthy(), [], firing);

        // Assert
        var step = decision.Steps.ShouldHaveSingleItem();
        step.Kind.ShouldBe(LifecycleStepKind.Mitigated);
        step.At.ShouldBe(first.At);
        step.Again.ShouldBeFalse();
        step.Reason.ShouldStartWith("Mitigated: served p99 ");
        step.Reason.ShouldEndWith(", 0 of 100 served requests failed, shedding 0.0% of requests for 3 s.");
        decision.Next.Status.ShouldBe(IncidentStatus.Mitigated);
        decision.Next.MitigatedAt.ShouldBe(first.At);
    }

    [Fact]
    public void Decide_MitigatedAndBrokenForMitigatedAfter_RelapsesAndKeepsTheFirstMitigation()
    {
        // Arrange
        var lifecycle = Lifecycle(mitigatedAfter: 2);
        var mitigatedAt = T0.AddSeconds(-30);
        var firing = new[] { Active("ResponseTimeSpike", AlertState.Firing) };
        var state = LifecycleState.Reattached(IncidentStatus.Mitigated, mitigatedAt);
        var brokenFrom = Slow();
        state = lifecycle.Decide(state, brokenFrom, [], firing).Next;

        // Act
        var decision = lifecycle.Decide(state, Slow(), [], firing);

        // Assert
        var step = decision.Steps.ShouldHaveSingleItem();
        step.Kind.ShouldBe(LifecycleStepKind.Relapsed);
        step.At.ShouldBe(brokenFrom.At);
        step.Reason.ShouldBe("Relapse: the service stopped meeting its objectives again for 2 s: served p99 2.485 s over the 0.5 s objective.");
        decision.Next.Status.ShouldBe(IncidentStatus.Open);
        decision.Next.MitigatedAt.ShouldBe(mitigatedAt);
    }

    [Fact]
    public void Decide_HealthyForResolveAfterBeforeMitigation_ResolvesMitigatedWhenHealthyBegan()
    {
        // Arrange: mitigation needs longer than resolution, so the resolution dates it.
        var lifecycle = Lifecycle(mitigatedAfter: 10, resolveAfter: 3);
        var state = LifecycleState.Opened;
        var healthySince = Healthy();
        state = lifecycle.Decide(state, healthySince, [], []).Next;
        var waiting = lifecycle.Decide(state, Healthy(), [], []);
        state = waiting.Next;

        // Act
        var decision = lifecycle.Decide(state, Healthy(), [], []);

        // Assert
        waiting.Reason.ShouldBe("open: healthy for 2 of 3 s");
        var step = decision.Steps.ShouldHaveSingleItem();
        step.Kind.ShouldBe(LifecycleStepKind.Resolved);
        step.At.ShouldBe(T0.AddSeconds(3));
        step.Reason.ShouldBe("Resolved: no symptom alert active and the SLO met for 3 s.");
        decision.Resolved.ShouldBeTrue();
        decision.Next.MitigatedAt.ShouldBe(healthySince.At);
    }

    [Fact]
    public void Decide_OnlyTheErrorBudgetAlertStillFires_ResolvesAndSaysItStillBurns()
    {
        // Arrange
        var lifecycle = Lifecycle(resolveAfter: 1);
        var state = LifecycleState.Reattached(IncidentStatus.Mitigated, T0);

        // Act
        var decision = lifecycle.Decide(state, Healthy(), [], [Active("ErrorBudgetBurn", AlertState.Firing)]);

        // Assert
        decision.Steps.ShouldHaveSingleItem().Reason.ShouldBe(
            "Resolved: no symptom alert active and the SLO met for 1 s (ErrorBudgetBurn still fires until the incident's failures leave its windows).");
    }

    [Fact]
    public void Decide_SymptomAlertPendingWhileHealthy_StartsTheHealthyRunOver()
    {
        // Arrange
        var lifecycle = Lifecycle(resolveAfter: 5);
        var state = lifecycle.Decide(LifecycleState.Opened, Healthy(), [], []).Next;

        // Act
        var decision = lifecycle.Decide(state, Healthy(), [], [Active("ResponseTimeSpike", AlertState.Pending)]);

        // Assert
        state.HealthySince.ShouldBe(T0.AddSeconds(1));
        decision.Next.HealthySince.ShouldBeNull();
        decision.Reason.ShouldBe("open: ResponseTimeSpike is pending");
    }

    [Fact]
    public void FindImpactStart_BreachRunEndingBeforeDetection_ReturnsItsFirstSecond()
    {
        // Arrange: healthy, then slow from second 3 to 6, detection at second 8 (within the 5 s tolerance).
        var lifecycle = Lifecycle();
        var recent = Enumerable.Range(1, 8).Select(i => i is >= 3 and <= 6 ? Slow() : Healthy()).ToList();

        // Act
        var start = lifecycle.FindImpactStart(recent, T0.AddSeconds(8));

        // Assert
        start.ShouldBe(2);
        recent[start].At.ShouldBe(T0.AddSeconds(3));
    }

    [Fact]
    public void FindImpactStart_NoBreachBeforeDetection_ReturnsMinusOne()
    {
        // Arrange
        var lifecycle = Lifecycle();
        var recent = Enumerable.Range(1, 8).Select(_ => Healthy()).ToList();

        // Act
        var start = lifecycle.FindImpactStart(recent, T0.AddSeconds(8));

        // Assert
        start.ShouldBe(-1);
    }

    private static IncidentLifecycle Lifecycle(int mitigatedAfter = 3, int resolveAfter = 30) => new(
        new ServiceLevelObjectives(),
        new IncidentOptions { MitigatedAfter = TimeSpan.FromSeconds(mitigatedAfter), ResolveAfter = TimeSpan.FromSeconds(resolveAfter) });

    /// <summary>The next recorded second: meets the objectives.</summary>
    private SignalSnapshot Healthy() => Next(latency: 0.08);

    /// <summary>The next recorded second: served p99 2.485 s (1.8 s requests in the 1-2.5 s bucket), over the 0.5 s objective.</summary>
    private SignalSnapshot Slow() => Next(latency: 1.8);

    private SignalSnapshot Next(double latency)
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        var at = _clock.GetUtcNow();
        return Second((int)(at - T0).TotalSeconds, latency: latency);
    }

    private static AlertSnapshot Active(string name, AlertState state) => Alert(name, state, T0, "trouble");
}
