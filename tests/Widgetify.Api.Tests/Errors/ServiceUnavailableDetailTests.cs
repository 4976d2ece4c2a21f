using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Tests.Errors;

/// <summary>The 503s of a busy database on a real server: the test holds every connection of the instance's share, so a
/// read waits for one until its deadline and a create until the pool's timeout. Each 503 says what happened and when to
/// come back, and nothing of the share, the server's limits or the settings behind them. The database down: in
/// DatabaseUnavailableTests; a full disk: in DiskFullTests.</summary>
public sealed class ServiceUnavailableDetailTests : IAsyncLifetime
{
    // max_connections 20 - superuser_reserved_connections 3 - 11 kept for other clients = a budget of 6: the control
    // connection, the key listener, a share of 2 and two kept free for the next instance's own two.
    private const int MaxConnections = 20;

    private DedicatedServer? _dedicated;
    private readonly List<NpgsqlConnection> _held = [];

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(MaxConnections, new Dictionary<string, string?>
    {
        ["Widgetify:ConnectionBudget:ReservedForOtherClients"] = "11",
        // A read's deadline comes before the pool's 3 s timeout; a write's after the 1 s one.
        ["Widgetify:Admission:ReadTimeout"] = "00:00:00.500",
        ["Widgetify:Admission:WriteTimeout"] = "00:00:30",
        ["Widgetify:Database:ConnectTimeoutSeconds"] = "1",
    });

    public async Task DisposeAsync()
    {
        foreach (var connection in _held)
        {
            await connection.DisposeAsync();
        }

        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Fact]
    public async Task GetWidgets_ShareBusyPastTheReadDeadline_503SaysItWaitedForAConnectionWithoutInternals()
    {
        // Arrange
        using var tenant = await Server.CreateTenantAsync();
        await tenant.Http.CreateWidgetAsync("warm"); // a write, whose deadline a busy machine does not reach
        await Server.CacheKeyAsync(tenant); // authentication must not be the wait that the deadline ends
        await HoldTheShareAsync();

        // Act
        using var response = await tenant.Http.GetAsync("/api/widgets");

        // Assert
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
        problem.GetProperty("reason").GetString().ShouldBe("deadline");
        var detail = problem.ShouldNotRevealInternals(Secrets());
        detail.ShouldContain("time budget ran out");
        detail.ShouldContain("waiting for a database connection");
    }

    [Fact]
    public async Task PostWidget_ShareBusyPastThePoolTimeout_503SaysTheDatabaseWasTooBusyWithoutInternals()
    {
        // Arrange
        using var tenant = await Server.CreateTenantAsync();
        await tenant.Http.CreateWidgetAsync("warm");
        await Server.CacheKeyAsync(tenant);
        await HoldTheShareAsync();

        // Act
        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "busy", kind = "counter" }));

        // Assert
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "database");
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
        var detail = problem.ShouldNotRevealInternals(Secrets());
        detail.ShouldStartWith("The database was too busy to serve this request in time.");
        detail.ShouldContain("same Idempotency-Key");
    }

    /// <summary>Opens every connection of the instance's share, outside any request, and keeps them.</summary>
    private async Task HoldTheShareAsync()
    {
        var sources = Server.Services.GetRequiredService<WidgetifyDataSources>();
        var share = Server.Services.GetRequiredService<PoolGovernor>().Current.Share;
        share.ShouldBeGreaterThan(0);
        for (var i = 0; i < share; i++)
        {
            _held.Add(await sources.OpenPrimaryAsync(CancellationToken.None));
        }
    }

    private string[] Secrets() =>
        [_dedicated!.Postgres.Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "share of the PostgreSQL", "ConnectionBudget", "reserved"];
}
