using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify up' as a newcomer runs it: a real process, a real embedded PostgreSQL, real signals.</summary>
public sealed class UpCommandTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Up_FirstRunThenRestart_KeepsDataAndDemoKey()
    {
        using var dataDir = new TempDataDir();

        // First run: creates the cluster, seeds the demo tenant, saves the demo key.
        var port = CliProcess.FreePort();
        string demoKey;
        Guid created;
        using (var up = StartUp(dataDir, port))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            demoKey = File.ReadAllText(Path.Combine(dataDir.Path, "demo-api-key")).Trim();
            up.StandardOutput.ShouldContain(demoKey);
            File.GetUnixFileMode(Path.Combine(dataDir.Path, "demo-api-key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);

            using var http = Client(port, demoKey);
            (await CountWidgetsAsync(http)).ShouldBe(40);
            var response = await http.PostAsJsonAsync("/api/widgets", new { name = "Kept across restarts", kind = "banner", config = new { text = "hi" } });
            response.StatusCode.ShouldBe(HttpStatusCode.Created);
            created = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

            // keys create while 'up' runs: shares the running server, prints the key alone on stdout.
            var (exitCode, stdout, stderr) = await CliProcess.RunAsync("keys", "create", "--tenant", "acme", "--data-dir", dataDir.Path);
            exitCode.ShouldBe(0, stderr);
            var acmeKey = stdout.Trim();
            acmeKey.ShouldStartWith("wgt_");
            using var acme = Client(port, acmeKey);
            (await CountWidgetsAsync(acme)).ShouldBe(0);

            // SIGTERM while a request is in flight (held on a table lock): the request still completes.
            await using (var held = await TableLock.HoldAsync(dataDir.Path, "widgets"))
            {
                var inFlight = http.GetAsync($"/api/widgets/{created}");
                await held.WaitUntilSomeoneWaitsAsync(TimeSpan.FromSeconds(10));
                up.Terminate();
                await up.WaitForOutputAsync("Application is shutting down", StopTimeout);
                await held.ReleaseAsync();
                using var completed = await inFlight;
                completed.StatusCode.ShouldBe(HttpStatusCode.OK, "an in-flight request must finish during a graceful stop");
            }

            (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0, up.StandardError + up.StandardOutput);
            up.StandardOutput.ShouldContain("stopped");
        }

        dataDir.RunningPostmasterPid().ShouldBeNull("SIGTERM must stop PostgreSQL too");

        // Second run: same cluster, same data, same demo key, nothing seeded twice.
        port = CliProcess.FreePort();
        using (var up = StartUp(dataDir, port))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            File.ReadAllText(Path.Combine(dataDir.Path, "demo-api-key")).Trim().ShouldBe(demoKey);
            up.StandardOutput.ShouldNotContain("seeded now");

            using var http = Client(port, demoKey);
            (await http.GetAsync($"/api/widgets/{created}")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await CountWidgetsAsync(http)).ShouldBe(41);

            up.Terminate();
            (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0);
        }

        dataDir.RunningPostmasterPid().ShouldBeNull();
    }

    [Fact]
    public async Task Up_AfterCrashAndStalePidFile_StartsAgain()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        using (var up = StartUp(dataDir, CliProcess.FreePort()))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            up.Crash(); // SIGKILL: the CLI dies, its PostgreSQL is orphaned and keeps running
            await up.WaitForExitAsync(StopTimeout);
        }

        var orphan = dataDir.RunningPostmasterPid();
        orphan.ShouldNotBeNull();

        // The next run adopts the orphaned server, and stops it on SIGTERM like one it started.
        using (var up = StartUp(dataDir, CliProcess.FreePort()))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            dataDir.RunningPostmasterPid().ShouldBe(orphan);
            up.Terminate();
            (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0);
        }

        dataDir.RunningPostmasterPid().ShouldBeNull();

        // A postmaster.pid left by a crash of PostgreSQL itself (its pid now dead) must not block the next start.
        File.WriteAllText(dataDir.PostmasterPidFile, "999999\n" + dataDir.Path + "\n1700000000\n5432\n\n127.0.0.1\n  5432001  0\nready\n");
        var port = CliProcess.FreePort();
        using (var up = StartUp(dataDir, port))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            using var http = Client(port, null);
            (await http.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
            up.Terminate();
            (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0);
        }
    }

    [Fact]
    public async Task Up_PortInUse_ExitsWithOneLineNamingPortOptionBeforeTouchingTheDatabase()
    {
        using var dataDir = new TempDataDir(); // empty: the refusal comes before any cluster is made, and the test checks that
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        using var up = StartUp(dataDir, port);
        var exitCode = await up.WaitForExitAsync(StartTimeout);

        exitCode.ShouldBe(2);
        up.StandardError.ShouldContain("--port");
        up.StandardError.ShouldNotContain("   at ", Case.Sensitive, "one line, no stack trace");
        dataDir.RunningPostmasterPid().ShouldBeNull("a failed start must not leave PostgreSQL running");
        // Checked before anything attaches to a database: no cluster made, so no connection-budget lease taken either.
        Directory.Exists(Path.Combine(dataDir.Path, "pg")).ShouldBeFalse("the port is checked before the database is touched");
    }

    [Fact]
    public async Task Up_WithReplicas_StartsStreamingStandbyStopsItFirstAndReusesIt()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        var standbyPgData = dataDir.StandbyPgData("standby-1");
        var port = CliProcess.FreePort();
        using (var up = StartUp(dataDir, port, "--replicas", "1"))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            up.StandardOutput.ShouldContain("pg_basebackup");
            up.StandardOutput.ShouldMatch(@"standby-1\s+127\.0\.0\.1:\d+, streaming");
            File.Exists(Path.Combine(standbyPgData, "standby.signal")).ShouldBeTrue();
            File.Exists(Path.Combine(dataDir.Path, "pg", "standby.signal")).ShouldBeFalse();
            dataDir.RunningPostmasterPid(standbyPgData).ShouldNotBeNull();
            using var http = Client(port, null);
            (await http.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

            up.Terminate();
            (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0, up.StandardError + up.StandardOutput);
            var stops = up.StandardOutput.Split('\n').Where(line => line.Contains("Stopping PostgreSQL", StringComparison.Ordinal)).ToList();
            stops.Count.ShouldBe(2);
            stops[0].ShouldContain("standby-1", customMessage: "standbys stop before the primary");
        }

        dataDir.RunningPostmasterPid(standbyPgData).ShouldBeNull();
        dataDir.RunningPostmasterPid().ShouldBeNull();

        // The next 'up' starts the same standby again: no new base backup.
        using (var up = StartUp(dataDir, CliProcess.FreePort(), "--replicas", "1"))
        {
            await up.WaitForOutputAsync("Ctrl-C stops the service", StartTimeout);
            up.StandardOutput.ShouldNotContain("pg_basebackup");
            up.StandardOutput.ShouldMatch(@"standby-1\s+127\.0\.0\.1:\d+, streaming");
            up.Terminate();
            (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0);
        }

        dataDir.RunningPostmasterPid(standbyPgData).ShouldBeNull();
    }

    [Fact]
    public async Task Up_ReplicasWithDatabaseUrl_FailsNamingTheConfigurationKey()
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("up", "--replicas", "1", "--database-url", "Host=127.0.0.1;Port=1");

        exitCode.ShouldNotBe(0);
        stderr.ShouldContain("cannot be used with --database-url");
        stderr.ShouldContain("Widgetify:Database:Replicas:N:ConnectionString");
    }

    [Fact]
    public async Task KeysCreate_InvalidTenantName_FailsNamingTheRule()
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("keys", "create", "--tenant", "Not Valid!", "--database-url", "Host=127.0.0.1;Port=1");

        exitCode.ShouldNotBe(0);
        stderr.ShouldContain("lowercase letters, digits");
    }

    [Fact]
    public async Task Up_ProtectMetrics_BannerShowsNoOperatorKeyAndMetricsNeedTheSavedToken()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        var port = CliProcess.FreePort();
        using var up = StartUp(dataDir, port, "--protect-metrics");
        await up.WaitForOutputAsync("Ctrl-C stops", StartTimeout);

        // The operator key is in its file, never in the banner (shells and CI logs keep what is printed).
        var operatorKey = File.ReadAllText(Path.Combine(dataDir.Path, "operator-api-key")).Trim();
        up.StandardOutput.ShouldNotContain(operatorKey);
        up.StandardOutput.ShouldNotContain("#key=");
        up.StandardOutput.ShouldContain($"dashboard      http://127.0.0.1:{port}/dashboard   (asks for the operator key");

        // /metrics needs the token saved owner-only for Prometheus's credentials_file.
        var tokenFile = Path.Combine(dataDir.Path, "metrics-token");
        File.GetUnixFileMode(tokenFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        up.StandardOutput.ShouldContain(Path.GetFullPath(tokenFile));
        using var anonymous = Client(port, null);
        (await anonymous.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var scraper = Client(port, File.ReadAllText(tokenFile).Trim());
        (await scraper.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.OK);

        up.Terminate();
        (await up.WaitForExitAsync(StopTimeout)).ShouldBe(0, up.StandardError);
    }

    private static CliProcess StartUp(TempDataDir dataDir, int port, params string[] more) => CliProcess.Start(
        ["up", "--data-dir", dataDir.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--demo-widgets", "40", .. more]);

    private static HttpClient Client(int port, string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    private static async Task<int> CountWidgetsAsync(HttpClient http)
    {
        var count = 0;
        string? cursor = null;
        do
        {
            var page = await http.GetFromJsonAsync<JsonElement>("/api/widgets?limit=100" + (cursor is null ? "" : "&cursor=" + cursor));
            count += page.GetProperty("items").GetArrayLength();
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return count;
    }
}
