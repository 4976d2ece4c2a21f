using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Widgetify.Postgres;

namespace Widgetify.Bench.Processes;

/// <summary>How to launch one service process.</summary>
/// <param name="ServiceDll">Path of widgetify.dll (src/Widgetify.Cli, Release).</param>
/// <param name="DatabaseUrl">Npgsql connection string it connects with (PostgreSQL or PgBouncer); null: <c>up</c> runs its
/// own embedded PostgreSQL in <paramref name="DataDirectory"/>.</param>
/// <param name="Port">Loopback port to serve on.</param>
/// <param name="DataDirectory">The <c>--data-dir</c>, where <c>up</c> saves the demo API key.</param>
/// <param name="DemoWidgets">Widgets seeded for the demo tenant on its first start.</param>
/// <param name="LogPath">stdout and stderr go here.</param>
/// <param name="Environment">Extra environment variables (the configuration under test).</param>
internal sealed record ServiceLaunch(
    string ServiceDll, string? DatabaseUrl, int Port, string DataDirectory, int DemoWidgets, string LogPath,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>More options of <c>up</c>, after the others (<c>--replicas 0 --max-replicas 2</c>).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>Cores to run on (a taskset list such as "1"); null: wherever the scheduler likes. Set before the
    /// process starts, so that every thread it ever has inherits it.</summary>
    public string? Cores { get; init; }
}

/// <summary>The service failed to start or to become ready; the message carries its log's tail.</summary>
internal sealed class ServiceStartException(string message) : Exception(message);

/// <summary>
/// One <c>widgetify up</c> process. Its output goes straight to a log file (through <c>sh -c exec</c>) rather
/// than through a pipe the bench would have to drain: a chatty service under a storm must not be slowed, or
/// blocked, by its reader.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ServiceLaunch launch;

    private ServiceProcess(Process process, ServiceLaunch launch)
    {
        this.process = process;
        this.launch = launch;
        BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{launch.Port}"));
    }

    public Uri BaseAddress { get; }

    public int ProcessId => process.Id;

    /// <summary>The exit code once the process has exited by itself or been stopped; null while it runs.</summary>
    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    /// <summary>The <c>--data-dir</c> it runs with.</summary>
    public string DataDirectory => launch.DataDirectory;

    /// <summary>CPU time the service has used so far (user + system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.HasExited ? TimeSpan.Zero : process.TotalProcessorTime;
        }
    }

    public static ServiceProcess Start(ServiceLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        if (!File.Exists(launch.ServiceDll))
        {
            throw new ServiceStartException(
                $"'{launch.ServiceDll}' does not exist: build it with 'dotnet build src/Widgetify.Cli -c Release' (./widgetify bench does).");
        }

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])[
            "-c", "log=\"$1\"; shift; exec \"$@\" >\"$log\" 2>&1", "sh", launch.LogPath,
            .. (launch.Cores is null ? (string[])[] : ["taskset", "-c", launch.Cores]),
            "dotnet", launch.ServiceDll, "up",
            .. (launch.DatabaseUrl is null ? (string[])[] : ["--database-url", launch.DatabaseUrl]),
            "--port", launch.Port.ToString(CultureInfo.InvariantCulture),
            "--data-dir", launch.DataDirectory,
            "--demo-widgets", launch.DemoWidgets.ToString(CultureInfo.InvariantCulture),
            .. launch.ExtraArguments])
        {
            start.ArgumentList.Add(argument);
        }

        // Only the configuration under test: nothing inherited from the shell may change the service's settings.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Widgetify__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        // The benchmarks measure the service under load, as they did before per-key write limits existed; a write storm by
        // one key would otherwise measure the limiter. A launch may still turn it on.
        start.Environment["Widgetify__RateLimits__Enabled"] = "false";
        // Likewise the per-IP vote ceiling: every voter of the storm is on 127.0.0.1, so 100 a minute would measure the
        // ceiling (429s) instead of the votes' group commit.
        start.Environment["Widgetify__Polls__VotesPerMinutePerIp"] = "1000000"; // the most it takes
        foreach (var (name, value) in launch.Environment)
        {
            start.Environment[name] = value;
        }

        return new ServiceProcess(Process.Start(start)!, launch);
    }

    /// <summary>Waits until the service's output holds <paramref name="marker"/> (<c>up</c>'s banner, "Widgetify is up", is
    /// printed once PostgreSQL, its standbys and the service all run), reading the log file every 200 ms.</summary>
    /// <exception cref="ServiceStartException">The process exited first, or the marker did not come within
    /// <paramref name="timeout"/>; the message carries the log's tail.</exception>
    public async Task WaitForOutputAsync(string marker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (File.Exists(launch.LogPath) && LogContains(marker))
            {
                return;
            }

            if (process.HasExited)
            {
                throw new ServiceStartException(
                    $"The service exited with code {process.ExitCode} before printing '{marker}'. Last lines of {launch.LogPath}:{Environment.NewLine}{LogTail.Read(launch.LogPath)}");
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new ServiceStartException(
            $"The service did not print '{marker}' within {timeout.TotalSeconds:0} s. Last lines of {launch.LogPath}:{Environment.NewLine}{LogTail.Read(launch.LogPath)}");
    }

    private bool LogContains(string marker)
    {
        // Shared read: the service keeps the file open for writing.
        using var stream = new FileStream(launch.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Contains(marker, StringComparison.Ordinal);
    }

    /// <summary>Polls <c>GET /health/ready</c> until 200 and returns its JSON body.</summary>
    public async Task<JsonDocument> WaitUntilReadyAsync(HttpClient client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var last = "no answer yet";
        while (Stopwatch.GetTimestamp() < until)
        {
            if (process.HasExited)
            {
                throw new ServiceStartException(
                    $"The service exited with code {process.ExitCode} before it was ready. Last lines of {launch.LogPath}:{Environment.NewLine}{LogTail.Read(launch.LogPath)}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseAddress, "/health/ready"), cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return JsonDocument.Parse(body);
                }

                last = $"{(int)response.StatusCode}: {body}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new ServiceStartException(
            $"The service was not ready within {timeout.TotalSeconds:0} s (last /health/ready: {last}). Last lines of {launch.LogPath}:{Environment.NewLine}{LogTail.Read(launch.LogPath)}");
    }

    /// <summary>The demo tenant's key, which <c>up</c> saves to <c>&lt;data-dir&gt;/demo-api-key</c>.</summary>
    public string ReadApiKey() => File.ReadAllText(Path.Combine(launch.DataDirectory, "demo-api-key")).Trim();

    /// <summary>The operator key, which <c>up</c> saves to <c>&lt;data-dir&gt;/operator-api-key</c>; null when it saved
    /// none (a build without the operator endpoints).</summary>
    public string? ReadOperatorKey()
    {
        var path = Path.Combine(launch.DataDirectory, "operator-api-key");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>Every widget id of the key's tenant, following <c>nextCursor</c> page by page (100 per page).</summary>
    public async Task<IReadOnlyList<Guid>> ListWidgetIdsAsync(HttpClient client, string apiKey, int max, CancellationToken cancellationToken) =>
        (await ListWidgetsAsync(client, apiKey, max, cancellationToken)).Select(w => w.Id).ToList();

    /// <summary>Every widget of the key's tenant with its kind, following <c>nextCursor</c> page by page (100 per page).</summary>
    public Task<IReadOnlyList<(Guid Id, string Kind)>> ListWidgetsAsync(HttpClient client, string apiKey, int max, CancellationToken cancellationToken) =>
        ListWidgetsAsync(client, BaseAddress, apiKey, max, cancellationToken);

    /// <summary>The same, from any address that serves the API (a fleet's balancer too).</summary>
    public static async Task<IReadOnlyList<(Guid Id, string Kind)>> ListWidgetsAsync(
        HttpClient client, Uri baseAddress, string apiKey, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ids = new List<(Guid Id, string Kind)>();
        string? cursor = null;
        do
        {
            var path = cursor is null ? "/api/widgets?limit=100" : $"/api/widgets?limit=100&cursor={Uri.EscapeDataString(cursor)}";
            var (status, body) = await GetHonouringRetryAfterAsync(client, new Uri(baseAddress, path), apiKey, cancellationToken);
            if (status != HttpStatusCode.OK)
            {
                throw new ServiceStartException($"GET {path} answered {(int)status}: {body}");
            }

            using var page = JsonDocument.Parse(body);
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                ids.Add((item.GetProperty("id").GetGuid(), item.GetProperty("kind").GetString() ?? ""));
            }

            cursor = page.RootElement.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null && ids.Count < max);

        return ids;
    }

    /// <summary>A GET that comes back after a shed as a well-behaved client would: a 503 with <c>Retry-After</c> is retried
    /// after that many seconds, for up to a minute. A machine busy with other work makes the service shed for CPU
    /// (Admission:CpuShed) even before a storm, and the bench's own set-up must not fail on what any client is told to retry.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> GetHonouringRetryAfterAsync(
        HttpClient client, Uri address, string apiKey, CancellationToken cancellationToken)
    {
        var giveUpAt = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter?.Delta is not { } wait
                || DateTime.UtcNow + wait > giveUpAt)
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(wait, cancellationToken);
        }
    }

    /// <summary>SIGTERM (in-flight requests finish, pools close), SIGKILL after <paramref name="grace"/>.</summary>
    /// <returns>True when it stopped gracefully.</returns>
    public Task<bool> StopAsync(TimeSpan grace) => ChildProcesses.StopAsync(process, grace);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(15));
        process.Dispose();
    }
}
