using System.Net;
using Widgetify.Api.Data;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

[Collection(SharedApiServer.Name)]
public sealed class HealthApiTests(ApiFixture fixture)
{
    [Fact]
    public async Task Live_Always_Returns200Pass()
    {
        using var client = fixture.Server.CreateClient();

        var health = await client.GetHealthAsync("/health/live", HttpStatusCode.OK);

        health.GetProperty("status").GetString().ShouldBe("pass");
    }

    [Fact]
    public async Task Ready_MigratedDatabase_Returns200PassWithSchemaVersion()
    {
        using var client = fixture.Server.CreateClient();

        var health = await client.GetHealthAsync("/health/ready", HttpStatusCode.OK);

        health.GetProperty("status").GetString().ShouldBe("pass");
        var database = health.GetProperty("checks").GetProperty("database")[0];
        database.GetProperty("status").GetString().ShouldBe("pass");
        var observed = database.GetProperty("observedValue");
        observed.GetProperty("schemaVersion").GetInt32().ShouldBe(MigrationRunner.LatestVersion);
        observed.GetProperty("requiredSchemaVersion").GetInt32().ShouldBe(MigrationRunner.LatestVersion);
    }

    [Fact]
    public async Task Serving_ReadyInstance_Returns200PassWithTheInstancesOwnChecksOnly()
    {
        using var client = fixture.Server.CreateClient();

        var health = await client.GetHealthAsync("/health/serving", HttpStatusCode.OK);

        health.GetProperty("status").GetString().ShouldBe("pass");
        var checks = health.GetProperty("checks");
        // Not the database's reachability; the cache's warm-up, which gives up after WarmUpTimeout whatever the database does.
        checks.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal).ShouldBe(["connectionShare", "drain", "embedCache", "writes"]);
        checks.GetProperty("connectionShare")[0].GetProperty("observedValue").GetProperty("connectionShare").GetInt32().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Health_WithoutKey_NeedsNoAuthentication()
    {
        using var client = fixture.Server.CreateClient("Bearer not-a-key");

        var health = await client.GetHealthAsync("/health/ready", HttpStatusCode.OK);

        health.GetProperty("status").GetString().ShouldBe("pass");
    }
}
