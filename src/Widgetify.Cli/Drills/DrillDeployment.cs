using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using Widgetify.Postgres;

namespace Widgetify.Cli.Drills;

/// <summary>The deployment a drill runs against: the running <c>./widgetify up</c> of a data folder (found by the
/// <c>service.json</c> it writes), or a fresh one the drill starts as a child process and stops after.</summary>
internal sealed class DrillDeployment : IAsyncDisposable
{
    /// <summary>The file <c>up</c> writes in its data folder while it serves: its address and process id.</summary>
    public const string ServiceFile = "service.json";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly Process? child;
    private readonly StringBuilder childOutput = new();
    private readonly bool deleteAfter;
    private PostgresCluster? cluster;

    private DrillDeployment(string dataDirectory, Uri service, Process? child, bool deleteAfter)
    {
        DataDirectory = dataDirectory;
        Service = service;
        this.child = child;
        this.deleteAfter = deleteAfter;
        ClusterDirectory = ClusterLocation.Resolve(dataDirectory, UnixAccount.IsRoot).Directory;
    }

    /// <summary>The data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>Where PostgreSQL's files are (the data folder, or where it points).</summary>
    public string ClusterDirectory { get; }

    /// <summary>The service's address.</summary>
    public Uri Service { get; }

    /// <summary>Whether the drill started this deployment.</summary>
    public bool Fresh => child is not null;

    /// <summary>The demo tenant's key, which the drill writes with.</summary>
    public string ApiKey => File.ReadAllText(Path.Combine(DataDirectory, "demo-api-key")).Trim();

    /// <summary>The primary's data folder.</summary>
    public string PrimaryPgData => Path.Combine(ClusterDirectory, "pg");

    /// <summary>The data folders of the standbys on disk.</summary>
    public IReadOnlyList<string> StandbyPgDatas =>
        Directory.Exists(Path.Combine(ClusterDirectory, "standbys"))
            ? [.. Directory.EnumerateDirectories(Path.Combine(ClusterDirectory, "standbys")).Order(StringComparer.Ordinal).Select(d => Path.Combine(d, "pg"))]
            : [];

    /// <summary>Attaches to the <c>up</c> serving <paramref name="dataDirectory"/>, or starts a fresh one there (in a
    /// temporary folder when none is given) with <paramref name="standbys"/> standbys.</summary>
    public static async Task<DrillDeployment> OpenAsync(string? dataDirectory, int standbys, bool synchronous, CancellationToken cancellationToken)
    {
        if (dataDirectory is not null && Running(dataDirectory) is { } url)
        {
            var attached = new DrillDeployment(Path.GetFullPath(dataDirectory), url, null, deleteAfter: false);
            if (attached.StandbyPgDatas.Count < standbys)
            {
                throw new InvalidOperationException(
                    $"This fault needs {standbys} standby(s) and the running deployment has {attached.StandbyPgDatas.Count}: start it with 'up --replicas {standbys}', or run the drill without --data-dir for a fresh one.");
            }

            return attached;
        }

        var fresh = dataDirectory is null;
        var directory = Path.GetFullPath(dataDirectory ?? Path.Combine(Path.GetTempPath(), $"widgetify-drill-{Guid.NewGuid():N}"[..30]));
        Directory.CreateDirectory(directory);
        var port = FreePort.Pick();
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(DrillDeployment).Assembly.Location);
        }

        foreach (var argument in new[] { "up", "--data-dir", directory, "--port", port.ToString(CultureInfo.InvariantCulture), "--demo-widgets", "0", "--replicas", standbys.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        if (synchronous)
        {
            start.ArgumentList.Add("--synchronous-replication");
        }

        // A drill measures a fault, not the per-key write limit its writers would meet at full speed.
        start.Environment["Widgetify__RateLimits__Enabled"] = "false";

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start 'widgetify up'.");
        var deployment = new DrillDeployment(directory, new Uri($"http://127.0.0.1:{port}"), process, fresh);
        process.OutputDataReceived += (_, e) => deployment.Append(e.Data);
        process.ErrorDataReceived += (_, e) => deployment.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!deployment.Output.Contains("Widgetify is up", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = deployment.Output;
                await deployment.DisposeAsync();
                throw new InvalidOperationException($"'widgetify up' did not come up for the drill:{Environment.NewLine}{output}");
            }

            await Task.Delay(200, cancellationToken);
        }

        return deployment;
    }

    /// <summary>The service's connection string on the primary.</summary>
    public async Task<string> AppConnectionStringAsync(CancellationToken cancellationToken) =>
        (await AttachAsync(cancellationToken)).AppConnectionString;

    /// <summary>A connection with the cluster's administrative rights, which faults need to change the schema.</summary>
    public async Task<NpgsqlConnection> OpenAdministratorAsync(CancellationToken cancellationToken)
    {
        var attached = await AttachAsync(cancellationToken);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(attached.AdminConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(attached.AppConnectionString).Database,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Runs one statement with administrative rights in the service's database.</summary>
    public async Task ExecuteAsAdministratorAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAdministratorAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads one value with administrative rights in the service's database; default when there is no row.</summary>
    public async Task<T?> QueryAsAdministratorAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAdministratorAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken) is T value ? value : default;
    }

    /// <summary>A handle on the running primary; it does not own the server, so disposing it leaves it running.</summary>
    public async Task<PostgresCluster> AttachAsync(CancellationToken cancellationToken) =>
        cluster ??= await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = ClusterDirectory }, cancellationToken: cancellationToken);

    /// <summary>What the child <c>up</c> printed so far.</summary>
    public string Output
    {
        get
        {
            lock (childOutput)
            {
                return childOutput.ToString();
            }
        }
    }

    /// <summary>Stops the <c>up</c> this drill started as an operator would (SIGTERM: requests drain, then PostgreSQL stops
    /// cleanly), keeping its folder: for a drill that works on the stopped cluster (restore). Nothing for a running one.</summary>
    public async Task StopServiceAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
            cluster = null;
        }

        if (child is null || child.HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await child.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Stops a deployment the drill started (and deletes its temporary folder); leaves a running one alone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
            cluster = null; // StopServiceAsync below must not dispose it again
        }

        if (child is null)
        {
            return;
        }

        await StopServiceAsync();
        child.Dispose();
        if (!deleteAfter)
        {
            // What the deployment logged during the drill, for whoever reads the figures.
            Directory.CreateDirectory(Path.Combine(DataDirectory, "logs"));
            await File.WriteAllTextAsync(Path.Combine(DataDirectory, "logs", "drill-up.log"), Output);
        }

        if (deleteAfter && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (childOutput)
        {
            childOutput.AppendLine(line);
        }
    }

    /// <summary>The address of the <c>up</c> serving <paramref name="dataDirectory"/>, when one does.</summary>
    private static Uri? Running(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, ServiceFile);
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var pid = document.RootElement.GetProperty("pid").GetInt32();
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : new Uri(document.RootElement.GetProperty("url").GetString()!);
        }
        catch (ArgumentException)
        {
            return null; // left by an up that was killed
        }
    }
}
