using System.Net;
using Npgsql;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Embed;

/// <summary>Past <c>Embed:ClicksPerMinutePerIp</c> from one address a banner's clicks still take the visitor to the
/// link but are not counted: one machine cannot inflate the count an owner reads.</summary>
public sealed class BannerClickCeilingTests
{
    [Fact]
    public async Task Click_PastTheCeilingFromOneAddress_StillRedirectsButIsNotCounted()
    {
        // Arrange: a ceiling of 2 counted clicks a minute per address and banner
        var settings = new Dictionary<string, string?>(ApiFixture.NeverShed) { ["Widgetify:Embed:ClicksPerMinutePerIp"] = "2" };
        await using var dedicated = await DedicatedServer.StartAsync(settings: settings);
        using var tenant = await dedicated.Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Spring sale", link = "https://example.com/sale" });
        var other = await tenant.Http.CreateWidgetAsync("Other", "banner", new { text = "Other", link = "https://example.com/other" });
        using var visitor = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = dedicated.Server.BaseAddress };

        // Act: five clicks on one banner, one on another
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await visitor.GetAsync($"/w/{banner.Id}/click");
            statuses.Add(response.StatusCode);
            response.Headers.Location.ShouldBe(new Uri("https://example.com/sale"));
        }

        using (var response = await visitor.GetAsync($"/w/{other.Id}/click"))
        {
            statuses.Add(response.StatusCode);
        }

        // Assert: every visitor got to the link; two clicks counted on the first banner, and the other has its own ceiling
        statuses.ShouldAllBe(s => s == HttpStatusCode.Found);
        (await ClickCountAsync(dedicated.Postgres.ConnectionString, banner.Id)).ShouldBe(2);
        (await ClickCountAsync(dedicated.Postgres.ConnectionString, other.Id)).ShouldBe(1);
    }

    private static async Task<long> ClickCountAsync(string connectionString, Guid widgetId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT click_count FROM widgets WHERE id = $1", connection);
        command.Parameters.Add(new() { Value = widgetId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
