using System.Net;
using System.Text.Json;
using Npgsql;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>GET /api/scaling on the shared service: a primary-only deployment with the autoscaler off, whose
/// decisions table the tests fill as a leader would. Each test finds its own decisions by a marker in their reason.
/// Its 401 and 403 are checked with every operator endpoint's, in MonitoringApiTests.</summary>
[Collection(SharedApiServer.Name)]
public sealed class ScalingApiTests(ApiFixture fixture)
{
    [Fact]
    public async Task GetScaling_OperatorKeyPrimaryOnly_ListsThePrimaryReadyAndTheAutoscalerOff()
    {
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/scaling"));

        var root = document.RootElement;
        var server = root.GetProperty("servers").EnumerateArray().ShouldHaveSingleItem();
        server.GetProperty("name").GetString().ShouldBe("primary");
        server.GetProperty("role").GetString().ShouldBe("primary");
        server.GetProperty("state").GetString().ShouldBe("ready");
        server.GetProperty("port").GetInt32().ShouldBe(new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString).Port);
        server.GetProperty("lagBytes").GetInt64().ShouldBe(0);
        server.GetProperty("problem").ValueKind.ShouldBe(JsonValueKind.Null);
        var autoscaler = root.GetProperty("autoscaler");
        autoscaler.GetProperty("enabled").GetBoolean().ShouldBeFalse();
        autoscaler.GetProperty("leading").GetBoolean().ShouldBeFalse();
        root.GetProperty("decisions").ValueKind.ShouldBe(JsonValueKind.Array);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task GetScaling_LimitOutOfRange_Is400ProblemNamingLimit(int limit)
    {
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var response = await operatorClient.Http.GetAsync($"/api/scaling?limit={limit}");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "limit");
        problem.ErrorsFor("limit").ShouldContain("1000");
    }

    [Fact]
    public async Task GetScaling_DecisionsInTheTable_NewestFirstWithDirectionAndReplacement()
    {
        var marker = Guid.NewGuid().ToString("N");
        await ScalingDecisionRows.InsertAsync(
            fixture.Postgres.ConnectionString,
            new DecisionRow(TimeSpan.FromMinutes(3), "out", 1, 2, "succeeded", $"saturated {marker}", "added standby-2"),
            new DecisionRow(TimeSpan.FromMinutes(2), "replace", 1, 2, "failed", $"1 standby(s) died {marker}", "pg_basebackup failed"),
            new DecisionRow(TimeSpan.FromMinutes(1), "in", 2, 1, "pending", $"idle {marker}"));
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/scaling?limit=1000"));

        var mine = document.RootElement.GetProperty("decisions").EnumerateArray()
            .Where(d => d.GetProperty("reason").GetString()!.Contains(marker, StringComparison.Ordinal))
            .ToList();
        mine.Select(d => d.GetProperty("reason").GetString()).ShouldBe([$"idle {marker}", $"1 standby(s) died {marker}", $"saturated {marker}"]);
        mine.Select(d => d.GetProperty("direction").GetString()).ShouldBe(["in", "out", "out"], "a replacement adds standbys");
        mine.Select(d => d.GetProperty("replacement").GetBoolean()).ShouldBe([false, true, false]);
        mine.Select(d => d.GetProperty("result").GetString()).ShouldBe(["pending", "failed", "succeeded"]);
        mine.Select(d => (d.GetProperty("from").GetInt32(), d.GetProperty("to").GetInt32())).ShouldBe([(2, 1), (1, 2), (1, 2)]);
        mine[0].GetProperty("completedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        mine[2].GetProperty("message").GetString().ShouldBe("added standby-2");
        mine[2].GetProperty("instance").GetString().ShouldBe(ScalingDecisionRows.Instance);
        (mine[2].GetProperty("completedAt").GetDateTimeOffset() - mine[2].GetProperty("at").GetDateTimeOffset()).ShouldBe(TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task GetScaling_Limit_CapsTheDecisions()
    {
        await ScalingDecisionRows.InsertAsync(
            fixture.Postgres.ConnectionString,
            new DecisionRow(TimeSpan.FromHours(2), "out", 0, 1, "succeeded", "for the limit"),
            new DecisionRow(TimeSpan.FromHours(1), "in", 1, 0, "succeeded", "for the limit"));
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/scaling?limit=1"));

        document.RootElement.GetProperty("decisions").GetArrayLength().ShouldBe(1);
    }
}
