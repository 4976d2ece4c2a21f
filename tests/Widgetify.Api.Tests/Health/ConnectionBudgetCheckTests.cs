using System.Net;
using System.Text.Json;
using Npgsql;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Widgetify.Api.Health;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Tests.Health;

/// <summary>Which lack of a connection share fails /health/ready and which fails /health/serving (Kubernetes' readiness).</summary>
public sealed class ConnectionBudgetCheckTests
{
    private static readonly DateTimeOffset Renewed = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Judge_ShareHeld_IsHealthyForBoth() =>
        Enum.GetValues<ConnectionShareScope>().ShouldAllBe(scope =>
            ConnectionBudgetCheck.Judge(Snapshot(40, true, Renewed), scope) == HealthStatus.Healthy);

    [Fact]
    public void Judge_NoShareUnderAValidLease_IsUnhealthyForBoth() =>
        // The peers hold the budget (a new pod waits for them to shrink): this pod cannot serve what needs the database.
        Enum.GetValues<ConnectionShareScope>().ShouldAllBe(scope =>
            ConnectionBudgetCheck.Judge(Snapshot(0, true, Renewed), scope) == HealthStatus.Unhealthy);

    [Fact]
    public void Judge_NoLeaseYet_IsUnhealthyForBoth() =>
        Enum.GetValues<ConnectionShareScope>().ShouldAllBe(scope =>
            ConnectionBudgetCheck.Judge(Snapshot(0, false, null), scope) == HealthStatus.Unhealthy);

    [Fact]
    public void Judge_LeaseLostAfterHavingOne_FailsReadyButOnlyWarnsServing()
    {
        var lost = Snapshot(0, false, Renewed);

        ConnectionBudgetCheck.Judge(lost, ConnectionShareScope.Fleet).ShouldBe(HealthStatus.Unhealthy);
        ConnectionBudgetCheck.Judge(lost, ConnectionShareScope.Instance).ShouldBe(HealthStatus.Degraded);
    }

    private static PoolBudgetSnapshot Snapshot(int share, bool leaseValid, DateTimeOffset? renewedAt) => new()
    {
        ConfiguredMaxPoolSize = 85,
        AppliedMaxPoolSize = 85,
        Budget = 87,
        Share = share,
        Target = 41,
        Instances = 2,
        ServerLimits = null,
        InstanceId = Guid.NewGuid(),
        Reason = "test",
        LeaseValid = leaseValid,
        LastRenewedAt = renewedAt,
    };
}

/// <summary>A lease renewed every 200 ms and lapsing after 1 s: the tests below see its loss, or a peer's claim, in seconds.</summary>
internal static class ShortLease
{
    public static Dictionary<string, string?> Settings => new()
    {
        ["Widgetify:ConnectionBudget:HeartbeatInterval"] = "00:00:00.200",
        ["Widgetify:ConnectionBudget:LeaseDuration"] = "00:00:01",
    };
}

/// <summary>A real server whose PostgreSQL is stopped long enough for its budget lease to lapse (1 s here): /health/ready
/// fails, /health/serving stays 200 and says why.</summary>
public sealed class LeaseLostServingTests
{
    [Fact]
    public async Task Serving_LeaseLostWithTheDatabase_Returns200WarnWhileReadyFails()
    {
        // Arrange
        await using var dedicated = await DedicatedServer.StartAsync(settings: ShortLease.Settings);
        using var client = dedicated.Server.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        (await client.GetHealthAsync("/health/serving", HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("pass");

        // Act: the database stops; the lease lapses a second later (every pod's would, at once)
        await dedicated.Postgres.Cluster.StopAsync();
        JsonElement serving = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                serving = await client.GetHealthAsync("/health/serving", HttpStatusCode.OK); // 200 throughout
                return serving.GetProperty("checks").GetProperty("connectionShare")[0].GetProperty("status").GetString() == "warn";
            },
            () => serving.ToString(), "the lease lapsed without the database", TimeSpan.FromSeconds(30));

        // Assert: serving says why it stays in; ready (HAProxy's check) fails, shed like any request needing a connection
        serving.GetProperty("status").GetString().ShouldBe("warn");
        var share = serving.GetProperty("checks").GetProperty("connectionShare")[0];
        share.GetProperty("output").GetString()!.ShouldContain("the lease could not be renewed, because the database did not answer");
        share.GetProperty("observedValue").GetProperty("connectionShare").GetInt32().ShouldBe(0);
        using var ready = await client.GetAsync("/health/ready");
        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        ready.Headers.RetryAfter.ShouldNotBeNull("a 503 says when to look again, as every other 503 does").Delta.ShouldBe(TimeSpan.FromSeconds(1));
    }
}

/// <summary>A real server left no connection share by its peers (a lease that claims the whole budget, as a fleet with no
/// room for one more instance): /health/ready answers its health report, saying why it is not ready, instead of being
/// shed like a request that needs a connection.</summary>
public sealed class NoShareReadyTests
{
    [Fact]
    public async Task Ready_PeersHoldTheWholeBudget_ReportsNoShareAndLeavesTheDatabaseUnprobed()
    {
        // Arrange
        await using var dedicated = await DedicatedServer.StartAsync(settings: ShortLease.Settings);
        using var client = dedicated.Server.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        (await client.GetHealthAsync("/health/ready", HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("pass");

        // Act: a peer's lease claims every connection of the budget for an hour
        await using (var connection = new NpgsqlConnection(dedicated.Postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var claim = new NpgsqlCommand(
                "INSERT INTO widgetify_pool_leases (instance_id, instance_name, wanted, granted, renewed_at, expires_at) " +
                "VALUES (gen_random_uuid(), 'greedy-peer', 10000, 10000, clock_timestamp(), clock_timestamp() + interval '1 hour')",
                connection);
            await claim.ExecuteNonQueryAsync();
        }

        JsonElement ready = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync("/health/ready");
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                ready = body.RootElement.Clone();
                return response.StatusCode == HttpStatusCode.ServiceUnavailable;
            },
            () => ready.ToString(), "the share fell to 0", TimeSpan.FromSeconds(30));

        // Assert: the health report (before, a problem body: admission shed the probe for no_capacity), which names the
        // share as the cause and does not blame the database it could not probe
        var report = await client.GetHealthAsync("/health/ready", HttpStatusCode.ServiceUnavailable);
        report.GetProperty("status").GetString().ShouldBe("fail");
        var share = report.GetProperty("checks").GetProperty("connections")[0];
        share.GetProperty("status").GetString().ShouldBe("fail");
        share.GetProperty("output").GetString()!.ShouldStartWith("No connection share");
        share.GetProperty("observedValue").GetProperty("connectionShare").GetInt32().ShouldBe(0);
        report.GetProperty("checks").GetProperty("database")[0].GetProperty("output").GetString()!.ShouldStartWith("Not probed");
    }
}
