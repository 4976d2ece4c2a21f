using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Overload;

/// <summary>A database that stops answering with statements in flight (every PostgreSQL process SIGSTOPped, as a frozen
/// host or a network cut would leave it): reads and writes are answered 503 at their deadline, and the readiness check
/// says not ready within its budget. Npgsql acts on a
/// cancelled command inside the token's callback, opening a connection for PostgreSQL's cancel request and blocking until
/// the server hangs up, which a frozen server never does; the connect timeout here is 60 s, so a request that waited for
/// that would outlive the client's 30 s and fail this test (before <c>DetachedCancellation</c> it took 16 to 21 s with
/// the 3 s default).</summary>
public sealed class FrozenDatabaseTests : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Widgetify:Admission:ReadTimeout"] = "00:00:00.500",
        ["Widgetify:Admission:WriteTimeout"] = "00:00:01",
        ["Widgetify:Database:CommandTimeoutSeconds"] = "300",
        ["Widgetify:Database:ConnectTimeoutSeconds"] = "60",
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("read")]
    [InlineData("write")]
    [InlineData("ready")]
    public async Task Requests_DatabaseFrozenWithTheirStatementsSent_503AtTheDeadline(string kind)
    {
        // Arrange: the key cached, and the pool holding idle connections, so that the requests below send their statements
        // to the frozen backends (rather than wait to open a connection, which the deadline ends in any case)
        using var tenant = await Server.CreateTenantAsync();
        tenant.Http.Timeout = TimeSpan.FromSeconds(30);
        var widget = await tenant.Http.CreateWidgetAsync("Frozen");
        await Server.CacheKeyAsync(tenant);
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                using var warm = await tenant.Http.GetAsync($"/api/widgets/{widget.Id}");
                warm.StatusCode.ShouldBe(HttpStatusCode.OK);
            }));
        }

        var postmaster = await PostmasterPidAsync(_dedicated!.Postgres.ConnectionString);
        HttpResponseMessage[] responses;
        await Signal("STOP", postmaster);
        try
        {
            // Act
            responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => kind switch
            {
                "read" => tenant.Http.GetAsync($"/api/widgets/{widget.Id}"),
                "write" => tenant.Http.PostAsJsonAsync("/api/widgets", new { name = $"Frozen {i}", kind = "counter" }),
                _ => tenant.Http.GetAsync("/health/ready"), // a balancer's check: its own 2 s budget, not the request's
            }));
        }
        finally
        {
            await Signal("CONT", postmaster);
        }

        // Assert
        foreach (var response in responses)
        {
            using (response)
            {
                if (kind == "ready")
                {
                    response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, await response.Content.ReadAsStringAsync());
                    continue;
                }

                var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
                problem.GetProperty("reason").GetString().ShouldBe("deadline");
                response.Headers.RetryAfter.ShouldNotBeNull();
                var detail = problem.GetProperty("detail").GetString()!;
                if (kind == "write")
                {
                    // Its statement was sent and commits when the server comes back: a client told it was shed would
                    // create it again, so it is told how to retry safely
                    detail.ShouldNotContain("shed", Case.Sensitive, detail);
                    detail.ShouldContain("The write may have been applied: retry with the same Idempotency-Key", Case.Sensitive, detail);
                }
                else
                {
                    detail.ShouldContain("shed this read request", Case.Sensitive, detail);
                }
            }
        }
    }

    [Fact]
    public async Task BannerClick_DatabaseFrozen_RedirectsTheVisitorUncounted()
    {
        // Arrange: a banner whose embed the visitor just loaded (so this instance holds it), and a pool with idle connections
        using var tenant = await Server.CreateTenantAsync();
        var banner = await tenant.Http.CreateWidgetAsync("Sale", "banner", new { text = "Sale", link = "https://example.com/sale" });
        using var visitor = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using (var embed = await visitor.GetAsync($"/w/{banner.Id}"))
        {
            embed.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var counted = await visitor.GetAsync($"/w/{banner.Id}/click"))
        {
            counted.StatusCode.ShouldBe(HttpStatusCode.Found);
        }

        var postmaster = await PostmasterPidAsync(_dedicated!.Postgres.ConnectionString);
        HttpResponseMessage click;
        await Signal("STOP", postmaster);
        try
        {
            // Act
            click = await visitor.GetAsync($"/w/{banner.Id}/click");
        }
        finally
        {
            await Signal("CONT", postmaster);
        }

        // Assert: docs/widgets.md, "if the database cannot take the write, the visitor is still redirected"
        using (click)
        {
            click.StatusCode.ShouldBe(HttpStatusCode.Found, await click.Content.ReadAsStringAsync());
            click.Headers.Location.ShouldBe(new Uri("https://example.com/sale"));
        }
    }

    /// <summary>The postmaster: the parent of a backend (field 4 of /proc/PID/stat).</summary>
    private static async Task<int> PostmasterPidAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync())!;
        var stat = await File.ReadAllTextAsync($"/proc/{backend}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>Sends <paramref name="signal"/> to the postmaster and its children: STOP stops the postmaster first (no
    /// new backend), CONT its children first.</summary>
    private static async Task Signal(string signal, int postmaster)
    {
        var pid = postmaster.ToString(CultureInfo.InvariantCulture);
        var steps = signal == "STOP"
            ? new[] { ("kill", new[] { "-STOP", pid }), ("pkill", new[] { "-STOP", "-P", pid }) }
            : [("pkill", new[] { "-CONT", "-P", pid }), ("kill", new[] { "-CONT", pid })];
        foreach (var (command, arguments) in steps)
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { UseShellExecute = false })!;
            await process.WaitForExitAsync();
        }
    }
}
