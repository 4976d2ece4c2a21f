using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>The generated haproxy.cfg run by the installed HAProxy, in front of a stand-in instance that is alive but not
/// ready, as every instance of a fleet is while the database cannot be reached: the instance still gets the requests
/// (it can answer the embeds it holds), and once no instance is alive either, HAProxy's own 503 is a problem with
/// Retry-After. The stand-in is a small Kestrel app, since what is under test is the balancer's routing, not the service.</summary>
public sealed class HaproxyFallbackTests : IAsyncLifetime, IDisposable
{
    private readonly TempDataDir _dataDir = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private WebApplication? _instance;
    private Process? _haproxy;

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable, which xUnit 2 does not call on a test class: with it, every run left its
    // HAProxy running. xUnit calls this first, then Dispose.
    public async Task DisposeAsync()
    {
        if (_haproxy is { HasExited: false })
        {
            _haproxy.Kill();
            await _haproxy.WaitForExitAsync();
        }

        _haproxy?.Dispose();
        await StopInstanceAsync();
    }

    public void Dispose()
    {
        _http.Dispose();
        _dataDir.Dispose();
    }

    [Fact]
    public async Task NoInstanceReady_LiveInstancesTakeTheRequests_AndWithNoneLiveHaproxyAnswersAProblemWithRetryAfter()
    {
        // Arrange: api-1 alive but not ready, api-2 not running at all
        var instancePort = CliProcess.FreePort();
        await StartInstanceAsync(instancePort);
        var (port, socket) = await StartHaproxyAsync([new("api-1", instancePort, 1, 0), new("api-2", CliProcess.FreePort(), 2, 0)]);
        var admin = new HaproxyAdmin(socket);
        IReadOnlyList<BalancedServer> servers = [];
        await BoundedWait.UntilAsync(
            async () => (servers = await admin.ServersAsync(CancellationToken.None)).All(s => s.Status.StartsWith("DOWN", StringComparison.Ordinal)),
            () => string.Join(", ", servers.Select(s => $"{s.Name} {s.Status}")),
            "HAProxy takes both instances out of the ready backend");

        // Act
        using var served = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/w/hot"));

        // Assert: the live instance answered, not HAProxy
        (await served.Content.ReadAsStringAsync()).ShouldBe("from api-1");

        // Act: the last live instance goes too
        await StopInstanceAsync();
        HttpResponseMessage? refused = null;
        await BoundedWait.UntilAsync(
            async () =>
            {
                refused?.Dispose();
                refused = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/w/hot"));
                return refused.StatusCode == HttpStatusCode.ServiceUnavailable;
            },
            () => $"{refused?.StatusCode}",
            "HAProxy answers itself once no instance is alive");

        // Assert
        using (refused)
        {
            refused!.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            refused.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("status").GetInt32().ShouldBe(503);
            problem.GetProperty("detail").GetString()!.ShouldContain("Retry after 1 s");
        }
    }

    [Fact]
    public async Task RequestsRefusedBeforeTheService_AnsweredWithProblemsThatSayWhatToChange()
    {
        // Arrange: one ready instance, a Kestrel with its default limits as the service's
        var instancePort = CliProcess.FreePort();
        await StartInstanceAsync(instancePort, ready: true);
        var (port, socket) = await StartHaproxyAsync([new("api-1", instancePort, 1, 0)]);
        var admin = new HaproxyAdmin(socket);
        await BoundedWait.UntilAsync(
            async () => (await admin.ServersAsync(CancellationToken.None)).Single().IsUp, () => "not UP", "HAProxy has the instance UP");
        var url = $"http://127.0.0.1:{port}/w/hot";

        // Act / Assert: Kestrel's empty refusals, rewritten (a request line over 8 KB, a Host it refuses)
        await ShouldBeProblemAsync(await _http.GetAsync(new Uri(url + "?q=" + new string('a', 10_000))), HttpStatusCode.RequestUriTooLong, "Shorten them");
        await ShouldBeProblemAsync(await RawRequestAsync(port, "GET /w/hot HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n"), HttpStatusCode.BadRequest, "fix it first");

        // The service's own answers pass unchanged, an empty 2xx among them.
        using var served = await _http.GetAsync(new Uri(url));
        (await served.Content.ReadAsStringAsync()).ShouldBe("from api-1");
    }

    /// <summary>A request HttpClient would refuse to send, written to the socket as is; the answer parsed back.</summary>
    private static async Task<HttpResponseMessage> RawRequestAsync(int port, string request)
    {
        var text = await RawHttp.ExchangeAsync("127.0.0.1", port, request, TimeSpan.FromSeconds(10));
        var head = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        var response = new HttpResponseMessage((HttpStatusCode)int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))
        {
            Content = new StringContent(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]),
        };
        var type = head.Skip(1).Select(h => h.Split(':', 2)).FirstOrDefault(h => h[0].Equals("content-type", StringComparison.OrdinalIgnoreCase));
        response.Content.Headers.ContentType = type is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type[1].Trim());
        return response;
    }

    private static async Task ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(status, body);
            response.Content.Headers.ContentType.ShouldNotBeNull(body).MediaType.ShouldBe("application/problem+json", body);
            var problem = JsonDocument.Parse(body).RootElement;
            problem.GetProperty("status").GetInt32().ShouldBe((int)status);
            problem.GetProperty("detail").GetString()!.ShouldContain(detail);
        }
    }

    private async Task StartInstanceAsync(int port, bool ready = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        _instance = builder.Build();
        _instance.MapGet("/health/ready", () => Results.StatusCode(ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable));
        _instance.MapGet("/health/live", () => Results.Ok());
        _instance.MapGet("/w/{id}", () => "from api-1");
        await _instance.StartAsync();
    }

    private async Task StopInstanceAsync()
    {
        if (_instance is not null)
        {
            await _instance.StopAsync();
            await _instance.DisposeAsync();
            _instance = null;
        }
    }

    private async Task<(int Port, string Socket)> StartHaproxyAsync(InstanceRecord[] instances)
    {
        var folder = Path.Combine(_dataDir.Path, "cluster");
        Directory.CreateDirectory(folder);
        var certificate = SelfSignedCertificate.Ensure(folder, null, null, TimeProvider.System);
        var socket = HaproxyConfig.SocketPath(folder);
        var port = CliProcess.FreePort();
        var options = new ClusterOptions { HealthCheckInterval = TimeSpan.FromMilliseconds(100), SlowStart = TimeSpan.Zero };
        var config = Path.Combine(folder, HaproxyConfig.FileName);
        await File.WriteAllTextAsync(config, HaproxyConfig.Render(port, CliProcess.FreePort(), certificate, socket, instances, options));
        _haproxy = Process.Start(new ProcessStartInfo(Fleet.HaproxyBinary(), ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _haproxy.OutputDataReceived += (_, _) => { };
        _haproxy.ErrorDataReceived += (_, _) => { };
        _haproxy.BeginOutputReadLine();
        _haproxy.BeginErrorReadLine();
        await BoundedWait.UntilAsync(() => File.Exists(socket) || _haproxy.HasExited, () => $"exited: {_haproxy.HasExited}", "HAProxy opens its admin socket");
        _haproxy.HasExited.ShouldBeFalse("HAProxy refused the generated configuration");
        return (port, socket);
    }
}
