using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Observability.Signals;
using Widgetify.PoolReview.History;

namespace Widgetify.Api.Tests;

/// <summary>The service as a process: restarts keep data, and a graceful stop flushes buffered views.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetifyApplicationTests(ApiFixture fixture)
{
    [Fact]
    public async Task Start_EmbeddedCluster_ServesAsTheRuntimeRoleAndEveryTableIsTheOwners()
    {
        // The fixture's server started with the cluster's runtime login and its migration login, as 'up' starts it.
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT current_user || ' ' || string_agg(DISTINCT tableowner, ',') || ' ' ||
                   bool_and(has_table_privilege(current_user, format('%I', tablename), 'SELECT, INSERT, UPDATE, DELETE'))
            FROM pg_tables WHERE schemaname = 'public'
            """, connection);

        // The features' own tables too (leases, incidents, autoscaler, pool review): made at the start, as the owner.
        (await command.ExecuteScalarAsync()).ShouldBe("widgetify widgetify_owner true");
        await using var tables = new NpgsqlCommand(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('widgetify_pool_leases', 'widgetify_incidents', 'widgetify_scaling_decisions', 'widgetify_pool_minutes', 'widgetify_applied_settings')",
            connection);
        (await tables.ExecuteScalarAsync()).ShouldBe(5L);
    }

    [Fact]
    public async Task Restart_NewServerOnSameDatabase_KeepsWidgetsAndKeys()
    {
        Guid widgetId;
        string key;
        await using (var first = await WidgetifyServer.StartAsync(fixture.Postgres))
        {
            using var tenant = await first.CreateTenantAsync();
            key = tenant.Key;
            widgetId = (await tenant.Http.CreateWidgetAsync("Kept")).Id;
        }

        await using var second = await WidgetifyServer.StartAsync(fixture.Postgres);
        using var client = second.CreateClient("Bearer " + key);

        var widget = await client.GetWidgetAsync(widgetId);

        widget.Name.ShouldBe("Kept");
    }

    [Fact]
    public void AddWidgetify_HostedServices_StopTheServerFirstThenTheWritersInOrderAndTheLeaseLast()
    {
        // The host stops hosted services in the reverse of their registration order, one after the other.
        var stopOrder = fixture.Server.Services.GetServices<IHostedService>().Select(s => s.GetType()).Reverse().ToList();
        var names = stopOrder.Select(t => t.Name).ToList();

        names[0].ShouldBe("GenericWebHostService", string.Join(", ", names));
        names.IndexOf("ViewCountFlusher").ShouldBeLessThan(
            names.IndexOf("MonitoringService"), "view counts are written before the incident outbox and pool history flush");
        // OpenTelemetry puts its own first in the list (so it stops last); it writes nothing.
        stopOrder.Last(t => t.Namespace!.StartsWith("Widgetify", StringComparison.Ordinal)).Name.ShouldBe(
            "PoolGovernorService", "the connection-budget lease goes back last, once nothing needs a connection");
    }

    [Fact]
    public async Task Stop_WithBufferedViews_FlushesThemBeforeExit()
    {
        using var owner = await fixture.Server.CreateTenantAsync();
        var widget = await owner.Http.CreateWidgetAsync("Viewed before shutdown");
        var server = await WidgetifyServer.StartAsync(fixture.Postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Embed:ViewFlushInterval"] = "00:01:00", // nothing is flushed on the timer during this test
        });
        await using (server)
        {
            using var anonymous = server.CreateClient();
            for (var i = 0; i < 7; i++)
            {
                using var response = await anonymous.GetAsync($"/w/{widget.Id}");
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
            }

            await server.StopAsync();
        }

        (await owner.Http.GetWidgetAsync(widget.Id)).ViewCount.ShouldBe(7, "a graceful stop writes the views it buffered");
    }

    [Fact]
    public async Task Stop_AfterMonitoredSeconds_WritesThePoolHistoryOfTheMinuteInProgress()
    {
        // Arrange: an instance of its own name, so the other tests' instances on this database are left out.
        var instance = "history-" + Guid.NewGuid().ToString("N")[..8];
        var server = await WidgetifyServer.StartAsync(fixture.Postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Monitoring:InstanceName"] = instance,
        });
        await using (server)
        {
            var seconds = server.Services.GetRequiredService<SignalHistory>();
            await BoundedWait.UntilAsync(() => seconds.Count >= 2, () => $"{seconds.Count} seconds", "the monitoring loop has evaluated a second");

            // Act
            await server.StopAsync();
        }

        // Assert: the primary's minute, measured in part, is in the table every instance shares.
        await using var dataSource = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);
        var now = DateTimeOffset.UtcNow;
        var range = await new PoolHistory(dataSource).ReadAsync(now.AddMinutes(-5), now.AddMinutes(5), PoolHistory.PrimaryServer);
        var minutes = range.Minutes.Where(m => m.Instance == instance).ToList();
        minutes.Count.ShouldBeInRange(1, 2, "the minute in progress, and the one before when the seconds crossed a minute");
        minutes.ShouldAllBe(m => m.SecondsMeasured > 0 && m.Share > 0, "the instance holds a share of the connection budget");
    }
}
