using System.Net;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Embed.Caching;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Monitoring;

/// <summary>The operators' endpoints skip admission control, which gives every other request its deadline; with a
/// database that does not answer (here: another connection holds an exclusive lock on the incidents table, so the
/// endpoint's SELECT waits) they must still answer within the read budget, a 503 with Retry-After, not after the command
/// timeout. That is set far beyond the client's patience, so an endpoint bounded by it alone fails this test.</summary>
public sealed class OperatorDeadlineTests : ShortReadBudgetServer
{
    [Fact]
    public async Task Incidents_DatabaseDoesNotAnswer_503WithRetryAfterWithinTheReadBudget()
    {
        // Arrange: the key is looked up once, and cached, before the table is locked: the wait under test is the endpoint's.
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        operatorClient.Http.Timeout = TimeSpan.FromSeconds(60); // a generous bound: the command timeout (300 s) is far beyond it
        using (var warm = await operatorClient.Http.GetAsync("/api/incidents"))
        {
            warm.StatusCode.ShouldBe(HttpStatusCode.OK, await warm.Content.ReadAsStringAsync());
        }

        await using var locked = await TableLock.TakeAsync(MigrationConnectionString, "widgetify_incidents");

        // Act
        using var response = await operatorClient.Http.GetAsync("/api/incidents");

        // Assert
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "database");
        problem.GetProperty("detail").GetString()!.ShouldContain("in time");
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
    }

    [Fact]
    public async Task Incidents_DatabaseAnswers_200()
    {
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var first = await operatorClient.Http.GetAsync("/api/incidents");
        using var second = await operatorClient.Http.GetAsync("/api/incidents?limit=1");

        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        second.StatusCode.ShouldBe(HttpStatusCode.OK, await second.Content.ReadAsStringAsync());
    }
}
