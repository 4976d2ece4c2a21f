using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Incidents.Lifecycle;

namespace Widgetify.Api.Tests.Errors;

/// <summary>PostgreSQL that cannot write, on a real server. A full disk for real: the widgets table moved to a tablespace
/// on a tmpfs of 512 KiB that the test fills, so every write that needs a new page is refused with 53100 while reads,
/// the WAL and every other table carry on. Out of memory and I/O errors cannot be made on demand, so a trigger has the
/// server raise them (real PostgresExceptions from the server, the same path). Each: a 503 that names the condition
/// without internals, readiness <c>warn</c> with the cause, <c>widgetify_database_write_failures_total</c> by SQLSTATE,
/// and the DatabaseWritesFailing alert with its incident.</summary>
public sealed partial class DiskFullTests : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    private TestPostgres Postgres => _dedicated!.Postgres;

    // Filling the disk takes hundreds of writes by one key as fast as they go: over its write rate limit.
    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(
        settings: new Dictionary<string, string?>(ApiFixture.NeverShed) { ["Widgetify:RateLimits:Enabled"] = "false" });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [RootFact]
    public async Task PostWidget_TablespaceOnAFullDisk_503DiskFullReadinessWarnsCountedAlertedAndRecoversWhenFreed()
    {
        // Arrange: a widget to read later, then the widgets table on a tiny filesystem, filled.
        using var tenant = await Server.CreateTenantAsync();
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        var kept = await tenant.Http.CreateWidgetAsync("Written before the disk filled");
        await using var tiny = await TinyFilesystem.MountAsync(kibibytes: 512);
        try
        {
            await ExecuteAsync($"CREATE TABLESPACE tiny LOCATION '{tiny.Path}'");
            await ExecuteAsync("ALTER TABLE widgets SET TABLESPACE tiny");
            tiny.Fill();

            // Act: creates until one is refused (the table's last page may still hold a few rows), then three more.
            var refused = await PostUntilRefusedAsync(tenant.Http);
            for (var i = 0; i < 3; i++)
            {
                using var again = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "refused", kind = "counter" }));
                again.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            }

            // Assert: the 503 says what happened and what to do, nothing of the file or the server.
            var problem = JsonDocument.Parse(refused.Body).RootElement;
            refused.Status.ShouldBe(HttpStatusCode.ServiceUnavailable, refused.Body);
            refused.RetryAfter.ShouldNotBeNull("a 503 says when to come back");
            problem.ShouldNotRevealInternals(Port(), "53100", "tiny", tiny.Path)
                .ShouldStartWith("The database has run out of disk space, so it cannot store changes; reads still work. Retry after ");

            // Reads still work.
            (await tenant.Http.GetWidgetAsync(kept.Id)).Name.ShouldBe(kept.Name);

            // Readiness warns with the cause and stays 200: every instance shares this disk.
            using var anonymous = Server.CreateClient();
            var ready = await anonymous.GetHealthAsync("/health/ready", HttpStatusCode.OK);
            ready.GetProperty("status").GetString().ShouldBe("warn");
            var writes = ready.GetProperty("checks").GetProperty("writes")[0];
            writes.GetProperty("status").GetString().ShouldBe("warn");
            writes.GetProperty("output").GetString().ShouldNotBeNull().ShouldContain("disk full (53100)");
            writes.GetProperty("output").GetString()!.ShouldContain("Free disk space");
            writes.GetProperty("observedValue").GetProperty("sqlstateClass").GetString().ShouldBe("53");

            // The metric counts them by SQLSTATE.
            var metrics = await anonymous.GetStringAsync("/metrics");
            var counted = DiskFullSeries().Match(metrics);
            counted.Success.ShouldBeTrue(metrics);
            long.Parse(counted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(4);

            // The alert fires, naming the cause, and opens an incident.
            await ShouldFireAndOpenAnIncidentAsync(operatorClient.Http, "disk full (53100)");

            // Act 2: space again, and writes work again without a restart.
            tiny.Free();
            await tenant.Http.CreateWidgetAsync("Written once space was freed");
        }
        finally
        {
            // The cluster is deleted with the test; the table must leave the tmpfs before it is unmounted.
            await ExecuteAsync("ALTER TABLE widgets SET TABLESPACE pg_default");
        }
    }

    [Theory]
    [InlineData("out_of_memory", "out of memory (53200)", "ran out of memory")]
    [InlineData("io_error", "io error (58030)", "could not read or write its storage")]
    public async Task PostWidget_ServerRaisesAResourceOrStorageError_503NamesItReadinessWarnsAlertFires(string condition, string described, string told)
    {
        // Arrange: the server refuses every insert into widgets with the condition.
        using var tenant = await Server.CreateTenantAsync();
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        await ExecuteAsync($"""
            CREATE FUNCTION refuse_widget() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '{condition}'; END $$;
            CREATE TRIGGER refuse_widget BEFORE INSERT ON widgets FOR EACH ROW EXECUTE FUNCTION refuse_widget();
            """);

        // Act
        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            last?.Dispose();
            last = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = "refused", kind = "counter" }));
        }

        // Assert
        using var response = last!;
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "database");
        problem.ShouldNotRevealInternals(Port(), "refused by the test", condition).ShouldContain(told);
        using var anonymous = Server.CreateClient();
        var ready = await anonymous.GetHealthAsync("/health/ready", HttpStatusCode.OK);
        ready.GetProperty("checks").GetProperty("writes")[0].GetProperty("output").GetString().ShouldNotBeNull().ShouldContain(described);
        await ShouldFireAndOpenAnIncidentAsync(operatorClient.Http, described);
    }

    private async Task ShouldFireAndOpenAnIncidentAsync(HttpClient operatorHttp, string described)
    {
        JsonElement alerts = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var document = JsonDocument.Parse(await operatorHttp.GetStringAsync("/api/alerts"));
                alerts = document.RootElement.Clone();
                return alerts.GetProperty("active").EnumerateArray()
                    .Any(a => a.GetProperty("name").GetString() == "DatabaseWritesFailing" && a.GetProperty("state").GetString() == "firing");
            },
            () => alerts.ValueKind == JsonValueKind.Undefined ? "no answer" : alerts.ToString(),
            "DatabaseWritesFailing fires within seconds of the refused writes",
            TimeSpan.FromSeconds(30));
        var alert = alerts.GetProperty("active").EnumerateArray().First(a => a.GetProperty("name").GetString() == "DatabaseWritesFailing");
        alert.GetProperty("severity").GetString().ShouldBe("page");
        alert.GetProperty("summary").GetString().ShouldNotBeNull().ShouldContain(described);

        var tracker = Server.Services.GetRequiredService<IncidentTracker>();
        await BoundedWait.UntilAsync(
            () => tracker.Current?.Alerts.Contains("DatabaseWritesFailing") == true,
            () => tracker.Current?.ToString() ?? "no incident",
            "the alert opens an incident");
    }

    private static async Task<(HttpStatusCode Status, string Body, string? RetryAfter)> PostUntilRefusedAsync(HttpClient http)
    {
        for (var i = 0; i < 500; i++)
        {
            using var response = await http.PostAsync("/api/widgets", WidgetHttp.Json(new { name = $"fill-{i}", kind = "counter" }));
            if (response.StatusCode != HttpStatusCode.Created)
            {
                return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter?.ToString());
            }
        }

        throw new ShouldAssertException("500 widgets were created on a full disk: the table did not need a new page?");
    }

    private async Task ExecuteAsync(string sql)
    {
        var admin = new NpgsqlConnectionStringBuilder(Postgres.Cluster.AdminConnectionString) { Database = "widgetify" };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private string Port() => Postgres.Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("""^widgetify_database_write_failures_total\{(?=[^}]*condition="disk_full")(?=[^}]*sqlstate="53100")(?=[^}]*sqlstate_class="53")[^}]*\} (\d+)""", RegexOptions.Multiline)]
    private static partial Regex DiskFullSeries();
}
