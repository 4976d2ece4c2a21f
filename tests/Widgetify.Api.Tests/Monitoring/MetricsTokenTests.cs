using System.Net;
using System.Net.Http.Headers;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Monitoring;

/// <summary><c>Monitoring:MetricsToken</c> on a real server: /metrics answers only the scraper that has the token.</summary>
public sealed class MetricsTokenTests : IAsyncLifetime
{
    private const string Token = "a-metrics-token-of-some-length-0123456789";
    private DedicatedServer? _dedicated;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Widgetify:Monitoring:MetricsToken"] = Token,
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-of-the-same-length-0123456789")]
    [InlineData("Bearer a-metrics-token-of-some-length-012345678")] // one character short
    [InlineData("Basic YTpi")]
    public async Task Metrics_WithoutTheToken_Returns401ProblemThatTellsNoStranger_WhereTheTokenIsKept(string? authorization)
    {
        using var client = authorization is null ? _dedicated!.Server.CreateClient() : _dedicated!.Server.CreateClient(authorization);

        using var response = await client.GetAsync("/metrics");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "Authorization: Bearer <metrics token>");
        response.Headers.WwwAuthenticate.Select(h => h.Scheme).ShouldBe(["Bearer"]);
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldNotContain("widgetify_");
        body.ShouldNotContain("Monitoring:MetricsToken", Case.Insensitive, "the setting is for the operator's docs, not for whoever reaches the port");
        body.ShouldNotContain("metrics-token", Case.Insensitive, "nor where the token file is");
    }

    [Fact]
    public async Task Metrics_WithTheToken_ReturnsPrometheusText()
    {
        using var client = _dedicated!.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        using var response = await client.GetAsync("/metrics");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldContain("# TYPE ");
    }
}
