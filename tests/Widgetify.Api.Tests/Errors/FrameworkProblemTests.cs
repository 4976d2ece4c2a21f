using System.Net;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Errors;

/// <summary>The errors the framework answers by itself (a query value that does not bind, a path or method nothing serves)
/// name what is wrong and what to send, in Widgetify's words.</summary>
[Collection(SharedApiServer.Name)]
public sealed class FrameworkProblemTests(ApiFixture fixture)
{
    private static readonly string[] FrameworkWords = ["Int32", "Failed to bind", "(Parameter '", "isFinalBlock", "Nullable"];

    private static void ShouldNotSpeakFramework(System.Text.Json.JsonElement problem)
    {
        var text = problem.GetRawText();
        foreach (var words in FrameworkWords)
        {
            text.ShouldNotContain(words, Case.Sensitive, text);
        }
    }

    [Theory]
    [InlineData("/api/incidents?limit=x", "limit")]
    [InlineData("/api/monitoring/signals?seconds=abc", "seconds")]
    [InlineData("/api/scaling?limit=abc", "limit")]
    public async Task OperatorQuery_NotANumber_Returns400NamingTheField(string path, string field)
    {
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var response = await operatorClient.Http.GetAsync(path);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        problem.ErrorsFor(field).ShouldContain("whole number");
        ShouldNotSpeakFramework(problem);
    }

    [Fact]
    public async Task Incident_NotAnId_Returns400WithoutTheParameterName()
    {
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);

        using var response = await operatorClient.Http.GetAsync("/api/incidents/not-a-uuid");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "incident id");
        ShouldNotSpeakFramework(problem);
    }

    /// <summary>Not ours to word: Kestrel rejects a request target whose decoded path holds a NUL while it parses the request
    /// line (PathNormalizer throws, Http1Connection answers InvalidRequestTarget), before an HttpContext exists, and writes
    /// its 400 with no body; it offers no hook for that response. This pins the behaviour, so that a Kestrel which starts
    /// passing such a path to the application (where the widget id's own validation would answer) is noticed.</summary>
    [Fact]
    public async Task PathWithAnEncodedNul_KestrelRefusesItBeforeThePipelineWithAnEmpty400()
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync("/api/widgets/0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b%00");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldBeEmpty();
        response.Content.Headers.ContentType.ShouldBeNull("Kestrel's own 400, not a problem of ours");
    }

    [Fact]
    public async Task UnknownPath_Returns404SayingWhereTheApiIs()
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync("/api/nonexistent");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "/api/nonexistent");
        problem.GetProperty("detail").GetString()!.ShouldContain("/openapi/v1.json");
    }

    [Fact]
    public async Task MethodThePathDoesNotTake_Returns405NamingTheAllowedMethods()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();

        using var response = await tenant.Http.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/api/widgets/{widget.Id}"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed, "PATCH");
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain("GET");
        detail.ShouldContain("PUT");
    }
}
