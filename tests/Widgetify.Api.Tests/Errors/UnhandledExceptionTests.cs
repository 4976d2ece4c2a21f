using System.Net;
using Microsoft.AspNetCore.Builder;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Errors;

/// <summary>A bug (an exception nobody classifies) on a real server: a 500 problem that says nothing of the exception.</summary>
public sealed class UnhandledExceptionTests : IAsyncLifetime
{
    private const string Secret = "secret-internal-text at 10.1.2.3:5432 Npgsql";
    private DedicatedServer? _dedicated;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(
        mapTestEndpoints: app => app.MapGet("/test/bug", string () => throw new InvalidOperationException(Secret)));

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Fact]
    public async Task Bug_Returns500ProblemWithoutTheExceptionText()
    {
        using var client = _dedicated!.Server.CreateClient();

        using var response = await client.GetAsync("/test/bug");

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var body = await response.Content.ReadAsStringAsync();
        foreach (var secret in new[] { "secret-internal-text", "10.1.2.3", "InvalidOperationException", "   at " })
        {
            body.ShouldNotContain(secret, Case.Sensitive, body);
        }
    }
}
