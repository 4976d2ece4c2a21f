using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Api;
using Widgetify.Api.Administration;
using Widgetify.Api.Auth;
using Widgetify.Cli.Cluster.Autoscaling;
using Widgetify.Postgres;
using Widgetify.Postgres.Supervision;

namespace Widgetify.Cli.Cluster;

/// <summary>What 'cluster up' runs: the embedded PostgreSQL and its standbys (as 'up' runs them, through
/// <see cref="DatabaseTarget"/>), N API instances (each a real 'widgetify up --cluster-instance NAME' process on its own
/// loopback port, attached to that PostgreSQL) and HAProxy in front. It supervises them until SIGINT/SIGTERM, then stops
/// them in order: HAProxy stops accepting and finishes what it carries, then the instances drain, then the standbys and
/// the primary.</summary>
internal sealed partial class Fleet : IDisposable
{
    private static readonly TimeSpan InstanceStopBound = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan BalancerStopBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SupervisionInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A clean exit this soon after the start is not a rolling restart's stop but a failure to run.</summary>
    private static readonly TimeSpan QuickExit = TimeSpan.FromSeconds(10);

    private readonly FleetSettings _settings;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _folder;
    private readonly Slot[] _slots;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly int _reservedForOtherClients = InstancesReservedForOtherClients();
    private readonly List<long> _balancerExits = [];
    private FleetProcess? _balancer;
    private long? _balancerExitedAt;
    private TimeSpan _balancerPause;
    private readonly Lock _stateLock = new();
    private ServerRecord? _primary;
    private string? _standbysFolder;
    private IReadOnlyList<ServerRecord> _servers = [];
    private IReadOnlyDictionary<string, string> _instanceEnvironment = new Dictionary<string, string>();

    public Fleet(FleetSettings settings, ClusterOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _settings = settings;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _folder = ClusterState.Folder(settings.DataDirectory);
        _slots = [.. Enumerable.Range(1, settings.Instances).Select(i => new Slot(ClusterInstances.Name(i)))];
    }

    private string Url => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_settings.Port}");

    private string TlsUrl => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{_settings.TlsPort}");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // Held for this process's whole life: cluster.json is only written once everything is up, so checking it alone
        // let a second 'cluster up' start while the first was still starting. The kernel drops the lock when this exits.
        using var coordinatorLock = ClusterLock.TryTake(_settings.DataDirectory, ClusterLock.CoordinatorFile);
        if (coordinatorLock is null || ClusterState.TryRead(_settings.DataDirectory).State is not null)
        {
            var running = ClusterState.TryRead(_settings.DataDirectory).State;
            await Console.Error.WriteLineAsync(
                $"widgetify: a cluster already runs (or is starting) in '{Path.GetFullPath(_settings.DataDirectory)}'" +
                (running is null ? $" (its 'cluster up' holds {Path.Combine(_folder, ClusterLock.CoordinatorFile)})" : $" (pid {running.CoordinatorPid}, {running.Url})") +
                ": stop it (Ctrl-C in its terminal, or kill -TERM its 'cluster up') or use another --data-dir.");
            return 2;
        }

        // An HAProxy of this data folder that outlived its 'cluster up' (killed while starting, before any instance could
        // stop it) would hold the ports and forward to instances that are gone. The lock above says no 'cluster up' runs it.
        await StopLeftoverBalancersAsync(_folder, _timeProvider, _logger);
        foreach (var port in (int[])[_settings.Port, _settings.TlsPort])
        {
            if (!FreePort.IsFree(port))
            {
                await Console.Error.WriteLineAsync($"widgetify: port {port} on 127.0.0.1 is already in use: stop what listens there or pass --port/--tls-port.");
                return 2;
            }
        }

        Directory.CreateDirectory(_folder);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Ctrl-C and SIGTERM end the supervision; the stop below then runs in order. Cancel = true: the runtime must not
        // end the process before that.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        await using var database = await DatabaseTarget.OpenAsync(null, _settings.DataDirectory, _logger, stopping.Token);
        try
        {
            var standbys = await database.EnsureStandbysAsync(_settings.Replicas, synchronous: false, _logger, stopping.Token);
            // Once, before any instance: five instances migrating at once would only queue on the migrations' lock.
            await database.MigrateAsOwnerAsync(stopping.Token);
            var cluster = database.Cluster!;
            _primary = new ServerRecord("primary", "primary", cluster.Port, cluster.DataDirectory);
            _servers = [_primary, .. standbys.Streaming.Select(s => new ServerRecord(s.Name, "standby", s.Port, s.DataDirectory))];
            _instanceEnvironment = InstanceEnvironment(standbys.Streaming.Select(s => (s.Name, s.AppConnectionString)));
            var certificate = SelfSignedCertificate.Ensure(_folder, _settings.TlsCertFile, _settings.TlsKeyFile, _timeProvider);

            // The registry of standbys every instance follows, written before any instance starts: an instance reads it at
            // once and drains whatever standby it names no longer.
            var runtimeRole = new NpgsqlConnectionStringBuilder(database.ConnectionString).Username!;
            await StandbyRegistry.EnsureCreatedAsync(database.MigrationConnectionString!, runtimeRole, stopping.Token);
            // As the owner: the instances' role may only read the registry (StandbyRegistry.EnsureCreatedAsync).
            await using var registrySource = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(database.MigrationConnectionString!)
            {
                ApplicationName = "widgetify-cluster",
                MaxPoolSize = 2,
            }.ConnectionString).Build();
            var registry = new StandbyRegistry(registrySource);
            var reconciler = new StandbyReconciler(
                registry, database.Standbys!, LiveInstances, _settings.Replicas, _settings.MaxReplicas, _options, _timeProvider, _logger);
            _standbysFolder = database.Standbys!.StandbysDirectory;
            reconciler.Changed += OnStandbysChanged;
            await registry.ResetAsync(reconciler.Running(), stopping.Token);

            await StartInstancesAsync(database, stopping.Token);
            await StartBalancerAsync(certificate, stopping.Token);
            WriteState();
            PrintBanner(database, certificate);

            using var supervising = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            var postgres = cluster.OwnsServer
                ? new ServerSupervisor(cluster, database.Standbys, _timeProvider, _logger).RunAsync(supervising.Token)
                : Task.CompletedTask;
            var reconciling = reconciler.RunAsync(supervising.Token);
            await SuperviseAsync(stopping.Token);
            await supervising.CancelAsync();
            await postgres;
            await reconciling;
            return 0;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0; // stopped while starting: what was started is stopped below
        }
        finally
        {
            await StopAsync();
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            LogStopRequested(_logger, context.Signal);
            stopping.Cancel();
        }
    }

    /// <summary>The instances whose process runs now: the ones a leaving standby waits for.</summary>
    private HashSet<string> LiveInstances() =>
        _slots.Where(s => s.Process is { HasExited: false }).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>cluster.json follows the registry, so 'cluster status' lists the servers even when PostgreSQL cannot be read.</summary>
    private void OnStandbysChanged(IReadOnlyList<RegisteredStandby> standbys)
    {
        _servers = [_primary!, .. standbys.Select(s => new ServerRecord(
            s.Name, "standby", s.Port, Path.Combine(_standbysFolder!, s.Name)))];
        WriteState();
    }

    /// <summary>Settings every instance runs with, in its environment (settings given to 'cluster up' in the environment
    /// win: the instances inherit it).</summary>
    private Dictionary<string, string> InstanceEnvironment(IEnumerable<(string Name, string ConnectionString)> standbys)
    {
        var environment = new Dictionary<string, string>
        {
            // HAProxy sets X-Forwarded-For and X-Forwarded-Proto; the instances listen on loopback only, where nothing but
            // the balancer (and the operator) reaches them, so the headers are trusted from any peer.
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
        };
        Default("Widgetify__Api__DrainDelay", _options.InstanceDrainDelay.ToString("c", CultureInfo.InvariantCulture));
        Default("Widgetify__Monitoring__ExternalUrl", Url);
        var index = 0;
        foreach (var (name, connectionString) in standbys)
        {
            environment[$"Widgetify__Database__Replicas__{index}__ConnectionString"] = connectionString;
            environment[$"Widgetify__Database__Replicas__{index}__Name"] = name;
            index++;
        }

        return environment;

        void Default(string name, string value)
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                environment[name] = value;
            }
        }
    }

    /// <summary>All instances start together and share the connection budget as they come. The keys are checked (and made
    /// when missing or no longer valid) first, here, and only here; the first instance seeds the demo widgets, as 'up' does.</summary>
    private async Task StartInstancesAsync(DatabaseTarget database, CancellationToken cancellationToken)
    {
        await EnsureKeyFileAsync(database, WidgetifyAdministration.DemoTenant, ApiKeyRole.Tenant, UpCommand.DemoKeyFile, cancellationToken);
        await EnsureKeyFileAsync(database, UpCommand.OperatorTenant, ApiKeyRole.Operator, UpCommand.OperatorKeyFile, cancellationToken);
        var ports = new HashSet<int> { _settings.Port, _settings.TlsPort };
        foreach (var slot in _slots)
        {
            int port;
            do
            {
                port = FreePort.Pick();
            }
            while (!ports.Add(port));
            slot.Port = port;
        }

        foreach (var slot in _slots)
        {
            StartInstance(slot, demoWidgets: slot == _slots[0] ? _settings.DemoWidgets : 0);
        }

        await Task.WhenAll(_slots.Select(slot => WaitUntilReadyAsync(slot, cancellationToken)));
    }

    /// <summary>A saved key is kept while it is still valid for this database, tenant and role; a missing or invalid one
    /// is made and saved owner-only. Only here: the instances read the files and never make keys (several making them at
    /// once would each save their own).</summary>
    private async Task EnsureKeyFileAsync(DatabaseTarget database, string tenant, ApiKeyRole role, string file, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_settings.DataDirectory, file);
        var (key, created) = await WidgetifyAdministration.EnsureKeyAsync(database.ConnectionString, tenant, role, SecretFile.TryRead(path), cancellationToken);
        if (created)
        {
            SecretFile.Write(path, key);
        }
    }

    private void StartInstance(Slot slot, int demoWidgets)
    {
        var cli = typeof(Fleet).Assembly.Location;
        var host = Environment.ProcessPath ?? "dotnet";
        List<string> command = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, cli] : [host];
        command.AddRange([
            "up", "--cluster-instance", slot.Name, "--cluster-coordinator", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            "--data-dir", Path.GetFullPath(_settings.DataDirectory),
            "--port", slot.Port.ToString(CultureInfo.InvariantCulture), "--demo-widgets", demoWidgets.ToString(CultureInfo.InvariantCulture),
        ]);
        if (_settings.MaxReplicas is { } max)
        {
            // The autoscaler's bounds: it runs in the instances (one leads), and hands its actions to this process.
            command.AddRange(["--replicas", _settings.Replicas.ToString(CultureInfo.InvariantCulture), "--max-replicas", max.ToString(CultureInfo.InvariantCulture)]);
        }

        slot.Process?.Dispose();
        slot.Process = FleetProcess.Start(Path.Combine(_folder, "logs", slot.Name + ".log"), _instanceEnvironment, command);
        slot.CrashedAt = null;
        slot.StartedAt = _timeProvider.GetTimestamp();
        LogInstanceStarted(_logger, slot.Name, slot.Process.Id, slot.Port);
    }

    private async Task WaitUntilReadyAsync(Slot slot, CancellationToken cancellationToken)
    {
        var deadline = _timeProvider.GetTimestamp();
        while (!await IsReadyAsync(slot.Port, cancellationToken))
        {
            if (slot.Process!.HasExited)
            {
                throw new InvalidOperationException(
                    $"Instance {slot.Name} exited with code {slot.Process.ExitCode} while starting; the end of {slot.Process.LogFile}:\n{slot.Process.LogTail()}");
            }

            if (_timeProvider.GetElapsedTime(deadline) > _options.ReadyTimeout)
            {
                throw new InvalidOperationException(
                    $"Instance {slot.Name} was not ready within {_options.ReadyTimeout} ({ClusterOptions.SectionName}:ReadyTimeout); " +
                    $"the end of {slot.Process.LogFile}:\n{slot.Process.LogTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _timeProvider, cancellationToken);
        }
    }

    private async Task<bool> IsReadyAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task StartBalancerAsync(string certificate, CancellationToken cancellationToken)
    {
        var configFile = Path.Combine(_folder, HaproxyConfig.FileName);
        var socket = HaproxyConfig.SocketPath(_folder);
        await File.WriteAllTextAsync(
            configFile,
            HaproxyConfig.Render(_settings.Port, _settings.TlsPort, certificate, socket, [.. _slots.Select(s => s.Record)], _options),
            cancellationToken);
        StartBalancer();
        var admin = new HaproxyAdmin(socket);
        var started = _timeProvider.GetTimestamp();
        while (true)
        {
            if (_balancer!.HasExited)
            {
                throw new InvalidOperationException(
                    $"HAProxy exited with code {_balancer.ExitCode} at its start; the end of {_balancer.LogFile}:\n{_balancer.LogTail()}");
            }

            try
            {
                var servers = await admin.ServersAsync(cancellationToken);
                if (servers.Count == _slots.Length && servers.All(s => s.IsUp))
                {
                    return;
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // not listening on its socket yet
            }

            if (_timeProvider.GetElapsedTime(started) > _options.ReadyTimeout)
            {
                throw new InvalidOperationException($"HAProxy did not see every instance ready within {_options.ReadyTimeout}; the end of {_balancer.LogFile}:\n{_balancer.LogTail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _timeProvider, cancellationToken);
        }
    }

    private void StartBalancer()
    {
        _balancer?.Dispose();
        // -db: in the foreground, so this process sees it exit; -f: the configuration generated above.
        _balancer = FleetProcess.Start(Path.Combine(_folder, "logs", "haproxy.log"), new Dictionary<string, string>(),
            [HaproxyBinary(), "-db", "-f", Path.Combine(_folder, HaproxyConfig.FileName)]);
        // At once, not with cluster.json once everything is up: were this process killed from here on, the instances'
        // CoordinatorWatch finds the HAProxy to stop in this file.
        BalancerPidFile.Write(_folder, Environment.ProcessId, _balancer.Id);
        LogBalancerStarted(_logger, _balancer.Id, _settings.Port, _settings.TlsPort);
    }

    internal static string HaproxyBinary() =>
        File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy"
        : throw new InvalidOperationException("HAProxy is not installed (/usr/sbin/haproxy): run './widgetify cluster up', which installs it, or 'apt-get install haproxy'.");

    /// <summary>Starts again what exited: an instance that stopped cleanly at once (a rolling restart stopped it), one that
    /// crashed (or stopped cleanly within <see cref="QuickExit"/> of its start) after <see cref="RestartPause"/>, which grows
    /// with its recent crashes; HAProxy at once the first time, then with <see cref="ServerSupervisor.Backoff"/>. A process
    /// that dies at every start is then started again every minute at most, not every tick.</summary>
    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SupervisionInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var changed = false;
                foreach (var slot in _slots.Where(s => s.Process is { HasExited: true }))
                {
                    var code = slot.Process!.ExitCode;
                    var clean = code == 0 && _timeProvider.GetElapsedTime(slot.StartedAt) >= QuickExit;
                    if (!clean && slot.CrashedAt is null)
                    {
                        slot.CrashedAt = _timeProvider.GetTimestamp();
                        slot.RestartPause = RestartPause(_timeProvider, _options.RestartDelay, slot.Crashes, slot.CrashedAt.Value);
                        LogInstanceCrashed(_logger, slot.Name, slot.Process.Id, code, slot.RestartPause.TotalSeconds);
                        WriteState(exited: slot);
                    }

                    if (clean || _timeProvider.GetElapsedTime(slot.CrashedAt!.Value) >= slot.RestartPause)
                    {
                        if (clean)
                        {
                            LogInstanceStopped(_logger, slot.Name, slot.Process.Id);
                        }

                        slot.Restarts++;
                        StartInstance(slot, demoWidgets: 0);
                        changed = true;
                    }
                }

                if (_balancer is { HasExited: true })
                {
                    if (_balancerExitedAt is null)
                    {
                        _balancerExitedAt = _timeProvider.GetTimestamp();
                        _balancerPause = RestartPause(_timeProvider, TimeSpan.Zero, _balancerExits, _balancerExitedAt.Value);
                        LogBalancerExited(_logger, _balancer.Id, _balancer.ExitCode, _balancerPause.TotalSeconds);
                    }

                    if (_timeProvider.GetElapsedTime(_balancerExitedAt.Value) >= _balancerPause)
                    {
                        _balancerExitedAt = null;
                        StartBalancer();
                        changed = true;
                    }
                }

                if (changed)
                {
                    WriteState();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or SIGTERM
        }
    }

    /// <summary>The pause before a process that died is started again: <paramref name="delay"/> plus
    /// <see cref="ServerSupervisor.Backoff"/> of its earlier exits within <see cref="ServerSupervisor.StableAfter"/> (none
    /// for the first, then 1 s, 2 s, 4 s, ... up to a minute), as the PostgreSQL supervisor backs off. Records this exit in
    /// <paramref name="exits"/>.</summary>
    internal static TimeSpan RestartPause(TimeProvider timeProvider, TimeSpan delay, List<long> exits, long now)
    {
        exits.RemoveAll(at => timeProvider.GetElapsedTime(at, now) >= ServerSupervisor.StableAfter);
        var earlier = exits.Count;
        exits.Add(now);
        return delay + ServerSupervisor.Backoff(earlier);
    }

    /// <summary>HAProxy first, softly: it stops accepting (a client's new connection is refused, which it can retry
    /// elsewhere, rather than answered 503) and ends once the requests it carries have their answers from instances that
    /// still run. Then the instances, which then get no request while they drain, then (the caller) PostgreSQL. Stopping
    /// the instances first made every one fail readiness at once, and HAProxy answered 503 "no server" until it stopped.</summary>
    private async Task StopAsync()
    {
        ClusterState.Remove(_settings.DataDirectory);
        var running = _slots.Where(s => s.Process is { HasExited: false }).ToList();
        LogStopping(_logger, running.Count);
        if (_balancer is { HasExited: false })
        {
            // SIGUSR1: HAProxy's soft stop, it stops listening and ends when the requests in flight have their answers.
            _balancer.Signal(ProcessSignal.User1);
            if (!await _balancer.WaitForExitAsync(BalancerStopBound))
            {
                LogKilled(_logger, "haproxy", BalancerStopBound.TotalSeconds);
            }
        }

        foreach (var slot in running)
        {
            slot.Process!.Signal(ProcessSignal.Terminate);
        }

        foreach (var slot in running)
        {
            if (!await slot.Process!.WaitForExitAsync(InstanceStopBound))
            {
                LogKilled(_logger, slot.Name, InstanceStopBound.TotalSeconds);
            }
        }

        foreach (var slot in _slots)
        {
            slot.Process?.Dispose();
        }

        // HAProxy leaves its admin socket's file behind when it exits: a stopped cluster keeps no socket nobody listens on.
        if (_balancer is { HasExited: true })
        {
            var socket = HaproxyConfig.SocketPath(_folder);
            try
            {
                File.Delete(socket);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSocketLeft(_logger, socket, ex.Message); // untidy, not a reason to stop the stop
            }
        }

        _balancer?.Dispose();
        BalancerPidFile.Remove(_folder);

        LogStopped(_logger);
    }

    /// <summary>Stops every HAProxy running with this data folder's configuration (found by its command line, so also one
    /// that no file recorded); the caller holds the folder's lock, so no 'cluster up' runs them.</summary>
    internal static async Task StopLeftoverBalancersAsync(string folder, TimeProvider timeProvider, ILogger logger)
    {
        var config = Path.Combine(folder, HaproxyConfig.FileName);
        foreach (var pid in ProcessCommandLine.FindBalancers(config))
        {
            LogStoppingLeftoverBalancer(logger, pid, config);
            var outcome = await LeftoverBalancer.StopAsync(pid, config, timeProvider);
            LogLeftoverBalancerStopped(logger, pid, outcome);
        }
    }

    public void Dispose() => _http.Dispose();

    private void WriteState(Slot? exited = null)
    {
        // The supervision loop and the standby reconciler both write it; one temporary file, so one at a time.
        lock (_stateLock)
        {
            State(exited).Write(_settings.DataDirectory);
        }
    }

    private ClusterState State(Slot? exited) => new()
    {
        CoordinatorPid = Environment.ProcessId,
        Url = Url,
        TlsUrl = TlsUrl,
        BalancerConfig = Path.Combine(_folder, HaproxyConfig.FileName),
        BalancerSocket = HaproxyConfig.SocketPath(_folder),
        BalancerPid = _balancer?.Id,
        Instances = [.. _slots.Select(s => s == exited ? s.Record with { Pid = null } : s.Record)],
        Servers = _servers,
        ReservedForOtherClients = _reservedForOtherClients,
    };

    /// <summary>What the instances read for the budget's reserve: the same sources as theirs (appsettings.json beside the
    /// program, then the environment they inherit from this process).</summary>
    private static int InstancesReservedForOtherClients()
    {
        var options = new Overload.PoolGovernance.ConnectionBudgetOptions();
        new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build()
            .GetSection($"{WidgetifyOptions.SectionName}:ConnectionBudget")
            .Bind(options);
        return options.ReservedForOtherClients;
    }

    private void PrintBanner(DatabaseTarget database, string certificate)
    {
        var instances = string.Join("\n", _slots.Select(s =>
            string.Create(CultureInfo.InvariantCulture, $"  {s.Name,-14} http://127.0.0.1:{s.Port}   pid {s.Process!.Id}   log {s.Process.LogFile}")));
        var servers = string.Join("\n", _servers.Select(s => string.Create(CultureInfo.InvariantCulture, $"  {s.Name,-14} 127.0.0.1:{s.Port} ({s.Role})")));
        var demoKey = SecretFile.TryRead(Path.Combine(_settings.DataDirectory, UpCommand.DemoKeyFile));
        Console.WriteLine($"""

            Widgetify cluster is up at {Url} and {TlsUrl}
              balancer       HAProxy pid {_balancer!.Id}, configuration {Path.Combine(_folder, HaproxyConfig.FileName)}
              TLS            {(_settings.TlsCertFile is null ? "self-signed certificate for localhost and 127.0.0.1" : "certificate " + _settings.TlsCertFile)} ({certificate}); HSTS on
            {instances}
            {servers}
              database       {database.Describe()}
              autoscaler     {DescribeAutoscaler()}
              demo API key   {demoKey}   (saved to {Path.Combine(_settings.DataDirectory, UpCommand.DemoKeyFile)})
              operator key   saved to {Path.Combine(_settings.DataDirectory, UpCommand.OperatorKeyFile)}   (not printed)
              status         ./widgetify cluster status --data-dir {_settings.DataDirectory}
              restart        ./widgetify cluster restart --data-dir {_settings.DataDirectory}   (one instance at a time, no request lost)

            Try:  curl -H "Authorization: Bearer {demoKey}" "{Url}/api/widgets?limit=3"
            Ctrl-C stops HAProxy (softly: requests in flight finish), then the instances, then PostgreSQL. An instance that dies is started again.
            """);
    }

    private string DescribeAutoscaler() => _settings.MaxReplicas is { } max && max > _settings.Replicas
        ? string.Create(CultureInfo.InvariantCulture,
            $"on: {_settings.Replicas} to {max} standbys (the instance holding the lease decides; this process adds and removes them); decisions at {Url}/api/scaling")
        : "off (--max-replicas K above --replicas turns it on)";

    [LoggerMessage(Level = LogLevel.Information, Message = "Started instance {Name} (pid {Pid}) on 127.0.0.1:{Port}")]
    private static partial void LogInstanceStarted(ILogger logger, string name, int pid, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Name} (pid {Pid}) died with exit code {ExitCode}; it is started again in {DelaySeconds} s (Widgetify:Cluster:RestartDelay, longer after recent crashes)")]
    private static partial void LogInstanceCrashed(ILogger logger, string name, int pid, int exitCode, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Name} (pid {Pid}) stopped cleanly; starting it again")]
    private static partial void LogInstanceStopped(ILogger logger, string name, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started HAProxy (pid {Pid}) on 127.0.0.1:{Port} and, with TLS, 127.0.0.1:{TlsPort}")]
    private static partial void LogBalancerStarted(ILogger logger, int pid, int port, int tlsPort);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HAProxy (pid {Pid}) exited with code {ExitCode}; starting it again in {DelaySeconds} s (longer after recent exits)")]
    private static partial void LogBalancerExited(ILogger logger, int pid, int exitCode, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HAProxy (pid {Pid}) still runs with {Config}, left by a 'cluster up' that is gone: stopping it softly (SIGUSR1) before starting")]
    private static partial void LogStoppingLeftoverBalancer(ILogger logger, int pid, string config);

    [LoggerMessage(Level = LogLevel.Information, Message = "Leftover HAProxy (pid {Pid}): {Outcome}")]
    private static partial void LogLeftoverBalancerStopped(ILogger logger, int pid, BalancerStop outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Signal}: stopping the cluster")]
    private static partial void LogStopRequested(ILogger logger, PosixSignal signal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping HAProxy (softly: it finishes the requests it carries), then {Count} instance(s), then PostgreSQL")]
    private static partial void LogStopping(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name} did not stop within {Seconds} s and was killed")]
    private static partial void LogKilled(ILogger logger, string name, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The instances and HAProxy have stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HAProxy's admin socket file {Path} could not be removed ({Reason}); the next 'cluster up' replaces it")]
    private static partial void LogSocketLeft(ILogger logger, string path, string reason);

    /// <summary>One instance's place in the fleet: its name and port stay, its process changes when it is started again.</summary>
    private sealed class Slot(string name)
    {
        public string Name { get; } = name;

        public int Port { get; set; }

        public FleetProcess? Process { get; set; }

        public long? CrashedAt { get; set; }

        public long StartedAt { get; set; }

        /// <summary>When it crashed recently (timestamps), for the growing pause before the next start.</summary>
        public List<long> Crashes { get; } = [];

        public TimeSpan RestartPause { get; set; }

        public int Restarts { get; set; }

        public InstanceRecord Record => new(Name, Port, Process?.Id, Restarts);
    }
}

/// <summary>What the operator asked 'cluster up' for.</summary>
internal sealed record FleetSettings(
    string DataDirectory, int Instances, int Replicas, int Port, int TlsPort, int DemoWidgets, string? TlsCertFile, string? TlsKeyFile)
{
    /// <summary>--max-replicas: the autoscaler's upper bound; null when it is off.</summary>
    public int? MaxReplicas { get; init; }
}
