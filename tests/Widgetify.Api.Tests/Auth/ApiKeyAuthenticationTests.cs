using System.Net;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Auth;

/// <summary>Every /api call needs 'Authorization: Bearer &lt;key&gt;' of a tenant key.</summary>
[Collection(SharedApiServer.Name)]
public sealed class ApiKeyAuthenticationTests(ApiFixture fixture)
{
    /// <summary>A key of the right shape that was never issued.</summary>
    private static string UnknownWellFormedKey() => ApiKey.Generate();

    private static async Task ShouldBeUnauthorizedAsync(HttpResponseMessage response, string detailMentions)
    {
        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, detailMentions);
        response.Headers.WwwAuthenticate.Select(h => h.Scheme).ShouldBe(["Bearer"]);
    }

    [Theory]
    [InlineData("GET", "/api/widgets")]
    [InlineData("POST", "/api/widgets")]
    [InlineData("GET", "/api/widgets/0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b")]
    [InlineData("PUT", "/api/widgets/0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b")]
    [InlineData("DELETE", "/api/widgets/0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b")]
    public async Task AnyApiCall_WithoutAuthorizationHeader_Returns401WithBearerChallenge(string method, string path)
    {
        using var client = fixture.Server.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = WidgetHttp.Json(new { name = "x", kind = "counter" });
        }

        using var response = await client.SendAsync(request);

        await ShouldBeUnauthorizedAsync(response, "Authorization");
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("text/plain")]
    public async Task List_WithoutKeyAcceptingOnlyNonJson_Returns401NotServerError(string accept)
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetWithAcceptAsync("/api/widgets", accept);

        await ShouldBeUnauthorizedAsync(response, "Authorization");
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Token wgt_abc")]
    [InlineData("Bearer")]
    public async Task List_WrongScheme_Returns401NamingBearer(string authorization)
    {
        using var client = fixture.Server.CreateClient(authorization);

        using var response = await client.GetAsync("/api/widgets");

        await ShouldBeUnauthorizedAsync(response, "Bearer");
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("Bearer wgt_")]
    [InlineData("Bearer wgt_tooshort")]
    [InlineData("Bearer xyz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Bearer wgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!")]
    [InlineData("Bearer wgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")] // non-canonical: padding bits set
    public async Task List_MalformedKey_Returns401SayingMalformed(string authorization)
    {
        using var client = fixture.Server.CreateClient(authorization);

        using var response = await client.GetAsync("/api/widgets");

        await ShouldBeUnauthorizedAsync(response, "malformed");
    }

    [Fact]
    public async Task List_UnknownWellFormedKey_Returns401SayingUnknown()
    {
        using var client = fixture.Server.CreateClient("Bearer " + UnknownWellFormedKey());

        using var response = await client.GetAsync("/api/widgets");

        await ShouldBeUnauthorizedAsync(response, "unknown");
    }

    [Fact]
    public async Task List_KeyOfOneTenantWithAnotherCharacter_Returns401()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        // A middle character: the last one also carries base64 padding bits, and a flip there can make the
        // key non-canonical, which is reported as malformed rather than unknown.
        var at = tenant.Key.Length / 2;
        var tampered = tenant.Key[..at] + (tenant.Key[at] == 'A' ? 'B' : 'A') + tenant.Key[(at + 1)..];
        using var client = fixture.Server.CreateClient("Bearer " + tampered);

        using var response = await client.GetAsync("/api/widgets");

        await ShouldBeUnauthorizedAsync(response, "unknown");
    }

    [Theory]
    [InlineData("bearer ")]
    [InlineData("BEARER ")]
    [InlineData("Bearer   ")]
    public async Task List_SchemeInAnyCaseOrExtraSpaces_IsAccepted(string prefix)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var client = fixture.Server.CreateClient(prefix + tenant.Key);

        using var response = await client.GetAsync("/api/widgets");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task List_ValidTenantKey_Returns200()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/widgets");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("GET", "/api/widgets")]
    [InlineData("POST", "/api/widgets")]
    public async Task WidgetsApi_OperatorKey_Returns403Problem(string method, string path)
    {
        using var operatorClient = await fixture.Server.CreateTenantAsync(ApiKeyRole.Operator);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = WidgetHttp.Json(new { name = "x", kind = "counter" });
        }

        using var response = await operatorClient.Http.SendAsync(request);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "role");
        (await fixture.Server.CountWidgetsAsync(operatorClient.TenantId)).ShouldBe(0);
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain("operator role", Case.Sensitive, "it says which key was sent");
        detail.ShouldContain("takes a tenant key", Case.Sensitive, "it says which key the endpoint takes");
        detail.ShouldContain("keys create --tenant NAME", Case.Sensitive, "and how to get one");
    }

    [Theory]
    [InlineData("/api/alerts")]
    [InlineData("/api/incidents")]
    [InlineData("/api/scaling")]
    public async Task OperatorEndpoint_WithoutKey_Returns401PointingToTheOperatorKey(string path)
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync(path);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "Authorization");
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain("operator-api-key");
        detail.ShouldContain("--role operator");
        detail.ShouldNotContain("takes a tenant key");
    }

    [Fact]
    public async Task TenantEndpoint_WithoutKey_Returns401PointingToATenantKey()
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync("/api/widgets");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "Authorization");
        problem.GetProperty("detail").GetString()!.ShouldContain("keys create --tenant NAME'");
    }

    [Fact]
    public async Task OperatorEndpoint_TenantKey_Returns403NamingTheOperatorKey()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/alerts");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "tenant role");
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain("takes an operator key");
        detail.ShouldContain("operator-api-key");
    }

    [Fact]
    public async Task Embed_WithInvalidKey_IsStillServed()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        using var client = fixture.Server.CreateClient("Bearer " + UnknownWellFormedKey());

        using var response = await client.GetAsync($"/w/{widget.Id}");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, "the public embed needs no key, and a stray one does not break it");
    }
}
