using System.Net;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed.Weather;

/// <summary>A weather widget's embed on a real Widgetify and PostgreSQL whose provider is a real HTTP server on loopback:
/// the temperature when the provider answers, "Weather unavailable" (still a 200 page) when it does not.</summary>
public sealed class WeatherEmbedTests : IAsyncLifetime
{
    private FakeWeatherProvider _provider = null!;
    private DedicatedServer _dedicated = null!;

    public async Task InitializeAsync()
    {
        _provider = await FakeWeatherProvider.StartAsync();
        _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>(ApiFixture.NeverShed)
        {
            ["Weather:ProviderUrl"] = _provider.Url.AbsoluteUri,
            ["Weather:RetryDelay"] = "00:00:00",
        });
    }

    public async Task DisposeAsync()
    {
        await _dedicated.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private async Task<string> EmbedOfNewWidgetAsync(object config)
    {
        using var tenant = await _dedicated.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Weather", "weather", config);
        using var visitor = _dedicated.Server.CreateClient();
        using var response = await visitor.GetAsync($"/w/{widget.Id}");
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        response.Headers.CacheControl?.NoCache.ShouldBeTrue("a weather page shows the latest report: revalidated every load");
        response.Headers.ETag.ShouldBeNull();
        return html;
    }

    [Fact]
    public async Task Embed_ProviderAnswers_ShowsTheLocationAndTemperature()
    {
        _provider.Temperature = 17.04;

        var html = await EmbedOfNewWidgetAsync(new { location = "Quito", latitude = -0.18, longitude = -78.47 });

        html.ShouldContain("Quito");
        WebUtility.HtmlDecode(html).ShouldContain("17 °C"); // to one decimal, none when it is 0
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    public async Task Embed_ProviderFails_ShowsWeatherUnavailableIn200Page(int status)
    {
        _provider.Respond = _ => status;

        var html = await EmbedOfNewWidgetAsync(new { location = "Nairobi " + status });

        html.ShouldContain("Nairobi");
        html.ShouldContain("Weather unavailable");
    }
}
