using System.Net;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Embed.Caching;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Auth;

/// <summary>A key that is not cached is looked up in PostgreSQL; when PostgreSQL does not answer (here: another
/// connection holds an exclusive lock on api_keys, so the lookup's SELECT waits), the request is answered a 503 with
/// Retry-After at its deadline, not after the connect and command timeouts. The command timeout is set far beyond the
/// client's patience, so a lookup bounded by it alone fails these tests.</summary>
public sealed class ApiKeyLookupDeadlineTests : ShortReadBudgetServer
{
    [Fact]
    public async Task TenantRead_KeyNotCachedAndLookupHangs_503WithRetryAfterAtTheReadDeadline()
    {
        // Arrange
        using var tenant = await Server.CreateTenantAsync(); // made in the database: never looked up, so not cached
        tenant.Http.Timeout = TimeSpan.FromSeconds(60); // a generous bound: the command timeout (300 s) is far beyond it
        await using var locked = await TableLock.TakeAsync(MigrationConnectionString, "api_keys");

        // Act
        using var response = await tenant.Http.GetAsync("/api/widgets?limit=1");

        // Assert
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
        problem.GetProperty("reason").GetString().ShouldBe("deadline");
    }

    [Fact]
    public async Task OperatorEndpoint_KeyNotCachedAndLookupHangs_503WithRetryAfterWithinTheReadBudget()
    {
        // Arrange: an operators' endpoint skips admission, so it has no request deadline for the lookup to end at.
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        operatorClient.Http.Timeout = TimeSpan.FromSeconds(60);
        await using var locked = await TableLock.TakeAsync(MigrationConnectionString, "api_keys");

        // Act
        using var response = await operatorClient.Http.GetAsync("/api/alerts");

        // Assert
        await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "database");
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
    }
}
