using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Draining;

/// <summary>The drain of a real server on Kestrel: readiness fails first, requests that still arrive are served and
/// close their connection, then the listener closes. Under load, through 'widgetify up': Widgetify.Cli.Tests' UpDrainTests.</summary>
[Collection(SharedApiServer.Name)]
public sealed class ShutdownDrainTests(ApiFixture fixture)
{
    [Fact]
    public async Task Stop_DuringDrainDelay_FailsReadinessAndServesRequestsWithConnectionClose()
    {
        // Arrange: a drain delay long enough to look at the instance while it drains.
        var server = await WidgetifyServer.StartAsync(fixture.Postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Api:DrainDelay"] = "00:00:03",
        });
        await using (server)
        {
            using var client = server.CreateClient();
            var before = await client.GetHealthAsync("/health/ready", HttpStatusCode.OK);
            Drain(before).GetProperty("status").GetString().ShouldBe("pass");

            // Act
            var stopping = server.StopAsync();

            // Assert: not ready, with the reason; still serving, each answer closing its connection.
            JsonElement? draining = null;
            await BoundedWait.UntilAsync(
                async () =>
                {
                    using var response = await client.GetAsync("/health/ready");
                    if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                    {
                        return false;
                    }

                    response.Headers.ConnectionClose.ShouldBe(true);
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    draining = document.RootElement.Clone();
                    return true;
                },
                () => "ready", "readiness fails once the stop has begun");
            draining!.Value.GetProperty("status").GetString().ShouldBe("fail");
            Drain(draining.Value).GetProperty("status").GetString().ShouldBe("fail");
            Drain(draining.Value).GetProperty("output").GetString().ShouldNotBeNull().ShouldContain("stopping");

            var serving = await client.GetHealthAsync("/health/serving", HttpStatusCode.ServiceUnavailable);
            Drain(serving).GetProperty("status").GetString().ShouldBe("fail", "Kubernetes' readiness takes a stopping pod out too");

            using var live = await client.GetAsync("/health/live");
            live.StatusCode.ShouldBe(HttpStatusCode.OK, "a draining instance still serves what reaches it");
            live.Headers.ConnectionClose.ShouldBe(true, "and tells the client to take its next request elsewhere");

            await stopping;
            using var late = server.CreateClient();
            var refused = await Should.ThrowAsync<HttpRequestException>(() => late.GetAsync("/health/live"));
            refused.InnerException.ShouldBeOfType<SocketException>().SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
        }
    }

    [Fact]
    public async Task Stop_DuringDrainDelay_ShedBeforeRoutingClosesTheConnectionToo()
    {
        // Arrange: a draining instance whose connection share is 0, so an embed is shed before routing
        var server = await WidgetifyServer.StartAsync(fixture.Postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Api:DrainDelay"] = "00:00:03",
        });
        await using (server)
        {
            using var client = server.CreateClient();
            await client.GetHealthAsync("/health/ready", HttpStatusCode.OK);
            var admission = server.Services.GetRequiredService<AdmissionController>();
            var stopping = server.StopAsync();
            await BoundedWait.UntilAsync(
                async () =>
                {
                    using var ready = await client.GetAsync("/health/ready");
                    return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
                },
                () => "ready", "readiness fails once the stop has begun");
            var shedBefore = admission.GetStatistics().TotalShedBeforeRouting;
            admission.SetCeiling(0);

            // Act
            using var shed = await client.GetAsync($"/w/{Guid.NewGuid()}");

            // Assert: the pre-built 503 too tells the client to go elsewhere (UseConnectionCloseWhileDraining runs first)
            shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            admission.GetStatistics().TotalShedBeforeRouting.ShouldBe(shedBefore + 1, "it was shed before routing");
            shed.Headers.ConnectionClose.ShouldBe(true, "a draining instance's shed closes its connection");
            await stopping;
        }
    }

    private static JsonElement Drain(JsonElement health) => health.GetProperty("checks").GetProperty("drain")[0];
}
