using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Overload;

/// <summary>A client that sends its headers and part of its body, then stalls, over a raw socket: the write's deadline
/// (1 s here) ends the wait with a 408 that says the body did not come, not a 503 "shed to protect the database", and
/// admission control counts no shed (a slow client says nothing about PostgreSQL).</summary>
public sealed class StalledRequestBodyTests : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Widgetify:Admission:WriteTimeout"] = "00:00:01",
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("create")]
    [InlineData("vote")]
    public async Task Post_BodyStallsAfterItsStart_408ProblemAndNoShed(string kind)
    {
        // Arrange
        using var tenant = await Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "Tea?", options = (string[])["Yes", "No"] });
        var admission = Server.Services.GetRequiredService<AdmissionController>();
        var shedBefore = admission.GetStatistics().TotalShed;
        var (path, type, start) = kind == "create"
            ? ("/api/widgets", "application/json", "{\"name\":")
            : ($"/w/{poll.Id}/vote", "application/x-www-form-urlencoded", "option=");
        var authority = Server.BaseAddress.GetLeftPart(UriPartial.Authority);
        var headers = $"POST {path} HTTP/1.1\r\nHost: {Server.BaseAddress.Authority}\r\nAuthorization: Bearer {tenant.Key}\r\nContent-Type: {type}\r\n"
            + $"Origin: {authority}\r\nContent-Length: 100\r\n\r\n{start}";

        // Act: the headers and the body's start, then nothing more
        var answer = await RawHttp.ExchangeAsync(Server.BaseAddress.Host, Server.BaseAddress.Port, headers, TimeSpan.FromSeconds(30));

        // Assert
        var status = int.Parse(answer.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        status.ShouldBe(408, answer);
        answer.ShouldContain("application/problem+json", Case.Insensitive, answer);
        var problem = JsonDocument.Parse(answer[answer.IndexOf('{', StringComparison.Ordinal)..(answer.LastIndexOf('}') + 1)]).RootElement;
        problem.GetProperty("detail").GetString()!.ShouldContain("did not arrive within 1 s");
        admission.GetStatistics().TotalShed.ShouldBe(shedBefore, "a stalled client is no shed");
    }
}
