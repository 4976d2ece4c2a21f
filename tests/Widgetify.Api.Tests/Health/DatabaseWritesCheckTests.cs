using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Api.Health;
using Widgetify.Observability.Database;

namespace Widgetify.Api.Tests.Health;

/// <summary>The check on a fake clock; on a real full disk, through /health/ready: DiskFullTests.</summary>
public sealed class DatabaseWritesCheckTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
    private readonly DatabaseWriteFailures _failures;

    public DatabaseWritesCheckTests() => _failures = new DatabaseWriteFailures(_services.GetRequiredService<IMeterFactory>(), _clock);

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task CheckHealthAsync_NoWriteRefused_IsHealthy()
    {
        var result = await Check();

        result.Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task CheckHealthAsync_DiskFullRefusalJustNow_IsDegradedNamingTheCauseAndWhatToDo()
    {
        // Arrange
        _failures.Record(new PostgresException("could not extend file", "ERROR", "ERROR", "53100"));
        _clock.Advance(TimeSpan.FromSeconds(4));

        // Act
        var result = await Check();

        // Assert: warn, not fail: the balancer keeps every instance, reads still work
        result.Status.ShouldBe(HealthStatus.Degraded);
        result.Description.ShouldNotBeNull().ShouldStartWith("Writes are failing: PostgreSQL refused one 4 s ago with disk full (53100). Free disk space");
        result.Data["sqlstateClass"].ShouldBe("53");
        result.Data["condition"].ShouldBe("disk_full");
    }

    [Fact]
    public async Task CheckHealthAsync_RefusalOlderThanItsMemory_IsHealthyAgain()
    {
        _failures.Record(new PostgresException("out of memory", "ERROR", "ERROR", "53200"));
        _clock.Advance(DatabaseWritesCheck.Memory);

        (await Check()).Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task CheckHealthAsync_OnlyConflictsRefused_IsHealthy()
    {
        _failures.Record(new PostgresException("could not serialize access", "ERROR", "ERROR", "40001"));

        (await Check()).Status.ShouldBe(HealthStatus.Healthy);
    }

    private Task<HealthCheckResult> Check() => new DatabaseWritesCheck(_failures, _clock).CheckHealthAsync(new HealthCheckContext());
}
