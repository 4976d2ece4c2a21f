using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Tests;

public sealed class ServiceLevelObjectivesTests
{
    private static readonly DateTimeOffset Now = new(2024, 2, 15, 8, 0, 0, TimeSpan.Zero);
    private static readonly double[] Bounds = [0.1, 0.5, 1];
    private readonly ServiceLevelObjectives _slo = new() { Availability = 0.99, LatencyP99Seconds = 0.5 };

    private static LatencyDistribution Fast(long n) => new(Bounds, [n, 0, 0, 0]);

    private static LatencyDistribution Slow(long n) => new(Bounds, [0, 0, n, 0]);

    [Fact]
    public void IsBreached_ShedsAboveTheBudget_IsTrue()
    {
        var snapshot = new SignalSnapshot { At = Now, Requests = 100, Shed = 2, ServedLatency = Fast(98) };

        _slo.IsBreached(snapshot).ShouldBeTrue();
    }

    [Fact]
    public void IsBreached_WithinBudgetAndFast_IsFalse()
    {
        var snapshot = new SignalSnapshot { At = Now, Requests = 100, ServerErrors = 1, ServedLatency = Fast(100) };

        _slo.IsBreached(snapshot).ShouldBeFalse();
    }

    [Fact]
    public void IsBreached_ServedP99AboveObjective_IsTrue()
    {
        var snapshot = new SignalSnapshot { At = Now, Requests = 100, ServedLatency = Slow(100) };

        _slo.IsBreached(snapshot).ShouldBeTrue();
    }

    [Fact]
    public void IsBreached_DatabaseDown_IsTrueEvenWithoutRequests()
    {
        _slo.IsBreached(new SignalSnapshot { At = Now, DatabaseUp = false }).ShouldBeTrue();
    }

    [Fact]
    public void IsMitigated_SheddingButServedRequestsHealthy_IsTrue()
    {
        // 90% shed: users are hurt (breached), but what the service admits is fast and succeeds.
        var snapshot = new SignalSnapshot { At = Now, Requests = 1000, Shed = 900, ServedLatency = Fast(100) };

        _slo.IsBreached(snapshot).ShouldBeTrue();
        _slo.IsMitigated(snapshot).ShouldBeTrue();
    }

    [Fact]
    public void IsMitigated_ServedRequestsFailing_IsFalse()
    {
        var snapshot = new SignalSnapshot { At = Now, Requests = 1000, Shed = 900, ServerErrors = 50, ServedLatency = Fast(100) };

        _slo.IsMitigated(snapshot).ShouldBeFalse();
    }

    [Fact]
    public void IsMitigated_ServedRequestsSlow_IsFalse()
    {
        var snapshot = new SignalSnapshot { At = Now, Requests = 200, Shed = 100, ServedLatency = Slow(100) };

        _slo.IsMitigated(snapshot).ShouldBeFalse();
    }

    [Fact]
    public void IsMitigated_DatabaseDown_IsFalse()
    {
        _slo.IsMitigated(new SignalSnapshot { At = Now, DatabaseUp = false }).ShouldBeFalse();
    }
}
