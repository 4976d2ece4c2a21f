using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Widgetify.Api;
using Widgetify.Api.Administration;
using Widgetify.Api.Auth;
using Widgetify.Api.Scaling;
using Widgetify.Incidents.Lifecycle;
using Widgetify.PoolReview.Applied;
using Widgetify.Postgres;
using Widgetify.Postgres.Standbys;
using Widgetify.Postgres.Supervision;
using Widgetify.Scaling;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;

namespace Widgetify.Cli;

/// <summary><c>widgetify up</c>: PostgreSQL (embedded unless --database-url) and its standbys, migrations, demo data,
/// then the service on 127.0.0.1 until Ctrl-C or SIGTERM, after which everything stops cleanly.</summary>
internal static class UpCommand
{
    public const string DemoKeyFile = "demo-api-key";
    public const string OperatorKeyFile = "operator-api-key";
    public const string OperatorTenant = "operators";
    public const string PostmortemFolder = "postmortems";
    public const string IncidentSpoolFile = "incidents.spool.json";
    public const string MetricsTokenFile = "metrics-token";
    public const string ReplicasSection = "Database:Replicas";

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port of the service on 127.0.0.1.", DefaultValueFactory = _ => 8080 };
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var widgets = CommonOptions.DemoWidgets();
        var replicas = new Option<int>("--replicas")
        {
            Description = "Streaming standbys of the embedded PostgreSQL to run beside it, each on its own loopback port, kept in " +
                "<data-dir>/standbys/ and reused by the next 'up' (ones beyond N are removed).",
            DefaultValueFactory = _ => 0,
        };
        var maxReplicas = new Option<int?>("--max-replicas")
        {
            Description = "Turns the read-replica autoscaler on: it keeps between --replicas and this many standbys, adding one when the " +
                "read path stays saturated and removing one when it stays quiet (docs/scaling.md). Same as Widgetify:Scaling:MaxReplicas.",
        };
        var synchronous = new Option<bool>("--synchronous-replication")
        {
            Description = "Commits wait until a standby has applied them, so losing the primary loses no acknowledged write " +
                "(synchronous_standby_names over the streaming standbys, synchronous_commit remote_apply); needs --replicas. Writes " +
                "then cost a round trip to a standby. Off: asynchronous, whose loss bound is the standbys' lag (docs/replicas.md).",
        };
        var backupDir = new Option<string?>("--backup-dir")
        {
            Description = "Where the WAL archive and base backups go (default <data-dir>/backups, or the folder an earlier --backup-dir chose, " +
                "which is remembered). The 'postgres' account must be able to write it. See docs/operations.md.",
        };
        var protectMetrics = new Option<bool>("--protect-metrics")
        {
            Description = "/metrics requires 'Authorization: Bearer <token>': a token is made once and saved to <data-dir>/metrics-token " +
                "(mode 0600) for Prometheus's credentials_file. Off by default: 'up' serves 127.0.0.1 only. Same as Widgetify:Monitoring:MetricsToken.",
        };
        // Set by 'cluster up' for each API process it runs (Cluster/ClusterCommand.cs); not an operator's option.
        var clusterInstance = new Option<string?>("--cluster-instance")
        {
            Description = "Run as the named instance of a 'cluster up' fleet: its PostgreSQL, standbys and keys are the fleet's.",
            Hidden = true,
        };
        // Set by 'cluster up' with its own pid: the instance stops when that process is gone (Cluster/CoordinatorWatch.cs).
        var clusterCoordinator = new Option<int?>("--cluster-coordinator")
        {
            Description = "The pid of the 'cluster up' that runs this instance: when it dies, the instance stops HAProxy softly and drains.",
            Hidden = true,
        };
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 65535)
            {
                r.AddError("--port must be from 1 to 65535.");
            }
        });
        replicas.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--replicas must be 0 or more.");
            }
        });

        var command = new Command("up", "Run Widgetify with its database; Ctrl-C stops both cleanly.") { port, dataDir, databaseUrl, replicas, maxReplicas, widgets, synchronous, backupDir, protectMetrics, clusterInstance, clusterCoordinator };
        command.Validators.Add(r =>
        {
            if (r.GetValue(replicas) > 0 && !string.IsNullOrWhiteSpace(r.GetValue(databaseUrl)))
            {
                r.AddError(
                    "--replicas starts standbys of the embedded PostgreSQL, so it cannot be used with --database-url: list that server's " +
                    $"standbys in configuration instead ({WidgetifyOptions.SectionName}:{ReplicasSection}:N:ConnectionString, " +
                    "e.g. the environment variable Widgetify__Database__Replicas__0__ConnectionString).");
            }
        });
        command.Validators.Add(r =>
        {
            if (r.GetValue(maxReplicas) is not { } max)
            {
                return;
            }

            if (max < r.GetValue(replicas))
            {
                r.AddError($"--max-replicas ({max}) must be at least --replicas ({r.GetValue(replicas)}).");
            }
            else if (!string.IsNullOrWhiteSpace(r.GetValue(databaseUrl)))
            {
                r.AddError(
                    "--max-replicas adds and removes standbys of the embedded PostgreSQL, so it cannot be used with --database-url: " +
                    "for a server run elsewhere, set Widgetify:Scaling:Provider to 'command' with a script that scales it (deploy/scaling/).");
            }
        });
        command.Validators.Add(r =>
        {
            if (r.GetValue(synchronous) && r.GetValue(replicas) < 1)
            {
                r.AddError("--synchronous-replication makes commits wait for a standby, so it needs --replicas 1 or more.");
            }
        });
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(port), parse.GetValue(dataDir)!, parse.GetValue(databaseUrl), parse.GetValue(replicas), parse.GetValue(maxReplicas),
            parse.GetValue(widgets), parse.GetValue(synchronous), parse.GetValue(backupDir), parse.GetValue(protectMetrics), parse.GetValue(clusterInstance),
            parse.GetValue(clusterCoordinator), cancellationToken));
        return command;
    }

    private static string PortInUse(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"Port {port} on 127.0.0.1 is already in use. Stop what listens there or pass --port.");

    private static async Task<int> RunAsync(
        int port, string dataDir, string? databaseUrl, int replicas, int? maxReplicas, int demoWidgets, bool synchronous, string? backupDir, bool protectMetrics,
        string? clusterInstance, int? clusterCoordinator, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("widgetify");
        // Before anything attaches to the database: an 'up' whose port another 'up' holds would otherwise take a
        // connection-budget lease (halving the running instance's share until the lease expired) and fail only when
        // Kestrel binds. The check at StartAsync below stays for the moment between this one and the bind.
        if (!FreePort.IsFree(port))
        {
            await Console.Error.WriteLineAsync(PortInUse(port));
            return 2;
        }

        // A fleet's instance attaches to the PostgreSQL 'cluster up' runs and never starts one: a server it started would be
        // stopped when it stops, and the fleet's supervisor restarts PostgreSQL itself. With none running it fails, and the
        // fleet starts it again later.
        await using var database = await DatabaseTarget.OpenAsync(databaseUrl, dataDir, logger, cancellationToken, backupDir, attachOnly: clusterInstance is not null);
        // Before the service is built, so that it is configured with the standbys that stream. Also with 0: the standbys
        // of an earlier 'up --replicas' are then removed, because a stopped standby's slot holds WAL and rows on the primary.
        // An instance of a 'cluster up' fleet leaves the standbys to the fleet's process, which runs them and names them in
        // this process's environment (Widgetify__Database__Replicas__N__...): several instances must not add or remove them.
        var standbys = database.Cluster is null || clusterInstance is not null
            ? null
            : await database.EnsureStandbysAsync(replicas, synchronous, logger, cancellationToken);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        var postmortems = Path.GetFullPath(Path.Combine(dataDir, PostmortemFolder));
        var settings = new Dictionary<string, string?>
        {
            [$"{WidgetifyOptions.SectionName}:Database:ConnectionString"] = database.ConnectionString,
        };
        if (database.MigrationConnectionString is { } migration)
        {
            settings[$"{WidgetifyOptions.SectionName}:Database:MigrationConnectionString"] = migration;
        }

        foreach (var (standby, index) in (standbys?.Streaming ?? []).Select((standby, index) => (standby, index)))
        {
            settings[$"{WidgetifyOptions.SectionName}:{ReplicasSection}:{index}:ConnectionString"] = standby.AppConnectionString;
            settings[$"{WidgetifyOptions.SectionName}:{ReplicasSection}:{index}:Name"] = standby.Name;
        }

        if (maxReplicas is { } max)
        {
            settings[$"{ScalingOptions.SectionName}:{nameof(ScalingOptions.MinReplicas)}"] = replicas.ToString(CultureInfo.InvariantCulture);
            settings[$"{ScalingOptions.SectionName}:{nameof(ScalingOptions.MaxReplicas)}"] = max.ToString(CultureInfo.InvariantCulture);
        }

        if (database.Standbys is { } local)
        {
            // The standbys this process runs are the ones the autoscaler may add and remove ('local' provider).
            builder.Services.AddKeyedSingleton<IReplicaProvider>(ReplicaProviderKind.Local, (services, _) => new LocalReplicaProvider(
                local, services.GetRequiredService<ReadReplicas>(), loggerFactory.CreateLogger<LocalReplicaProvider>()));
        }

        if (clusterInstance is not null)
        {
            // A fleet's instance follows its coordinator's registry of standbys, and its autoscaler (when this instance
            // leads) hands actions to the coordinator, which alone runs PostgreSQL servers (Cluster/Autoscaling).
            var fleet = Cluster.ClusterOptions.FromEnvironment();
            var primaryConnectionString = database.ConnectionString;
            builder.Services.AddSingleton(sp => new Cluster.Autoscaling.StandbyRegistry(sp.GetRequiredService<ScalingInstance>().ControlConnection));
            builder.Services.AddSingleton(sp => new Cluster.Autoscaling.FleetStandbyWatcher(
                sp.GetRequiredService<Cluster.Autoscaling.StandbyRegistry>(), sp.GetRequiredService<ReadReplicas>(), primaryConnectionString, clusterInstance,
                fleet.StandbyPollInterval, TimeProvider.System, sp.GetRequiredService<ILogger<Cluster.Autoscaling.FleetStandbyWatcher>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Cluster.Autoscaling.FleetStandbyWatcher>());
            builder.Services.AddKeyedSingleton<IReplicaProvider>(ReplicaProviderKind.Local, (sp, _) => new Cluster.Autoscaling.FleetReplicaProvider(
                sp.GetRequiredService<Cluster.Autoscaling.StandbyRegistry>(), sp.GetRequiredService<Cluster.Autoscaling.FleetStandbyWatcher>().ReconcileOnceAsync, clusterInstance,
                fleet.ScalingActionTimeout, TimeProvider.System));
        }

        // Defaults that need the data folder and the port; settings made in appsettings.json or the environment win.
        DefaultSetting(builder.Configuration, settings, "Monitoring:Incidents:PostmortemDirectory", postmortems);
        // An incident opened while the database is down survives a stop before it is back: kept here, written at the next start.
        DefaultSetting(builder.Configuration, settings, "Monitoring:Incidents:SpoolFile", Path.GetFullPath(Path.Combine(dataDir, IncidentSpoolFile)));
        DefaultSetting(builder.Configuration, settings, "Monitoring:ExternalUrl", url);
        // What './widgetify review --apply --data-dir' writes; the service reads it without a restart.
        DefaultSetting(builder.Configuration, settings, "Review:SettingsFile", Path.GetFullPath(Path.Combine(dataDir, ReviewedSettingsFile.FileName)));
        // Nothing balances a service on 127.0.0.1, so nothing needs time to see its readiness fail before it stops accepting.
        DefaultSetting(builder.Configuration, settings, "Api:DrainDelay", "00:00:00");
        if (clusterInstance is not null)
        {
            // The lease table, pg_stat_activity, logs and metrics tell the fleet's instances apart by these names.
            settings[$"{WidgetifyOptions.SectionName}:Monitoring:InstanceName"] = clusterInstance;
            settings[$"{WidgetifyOptions.SectionName}:Database:ApplicationName"] = Cluster.ClusterInstances.ApplicationName(clusterInstance);
        }

        var metricsTokenFile = Path.GetFullPath(Path.Combine(dataDir, MetricsTokenFile));
        if (protectMetrics)
        {
            settings[$"{WidgetifyOptions.SectionName}:Monitoring:MetricsToken"] = EnsureMetricsToken(metricsTokenFile);
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(url);
        builder.AddWidgetify();
        var scaling = new ScalingOptions();
        builder.Configuration.GetSection(ScalingOptions.SectionName).Bind(scaling);
        if (clusterInstance is not null && scaling.Enabled)
        {
            // The leader decides on the fleet's read path, not on its own alone: the service's per-second feed is wrapped by
            // one that also publishes it and combines it with the other instances' (Cluster/Autoscaling/FleetSignalSource).
            // Only with the autoscaler on: without it nobody reads them, and every exchange takes the control connection.
            var fleet = Cluster.ClusterOptions.FromEnvironment();
            var feed = builder.Services.Last(d => d.ServiceType == typeof(IReadPathSignalSource));
            builder.Services.Remove(feed);
            builder.Services.AddSingleton(sp => new Cluster.Autoscaling.FleetSignalSource(
                (IReadPathSignalSource)feed.ImplementationFactory!(sp), sp.GetRequiredService<ScalingInstance>().ControlConnection, clusterInstance,
                fleet.StandbyPollInterval, TimeProvider.System, sp.GetRequiredService<ILogger<Cluster.Autoscaling.FleetSignalSource>>()));
            builder.Services.AddSingleton<IReadPathSignalSource>(sp => sp.GetRequiredService<Cluster.Autoscaling.FleetSignalSource>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Cluster.Autoscaling.FleetSignalSource>());
        }
        await using var app = builder.Build();
        app.UseWidgetify();

        await app.Services.MigrateDatabaseAsync(cancellationToken);
        var (added, sampleId) = await app.Services.EnsureDemoWidgetsAsync(demoWidgets, cancellationToken);
        // A fleet's instance neither makes keys ('cluster up' checked and saved them before starting it, once for all
        // instances) nor prints one: its output goes to a log file, and logs are kept and shared more than terminals.
        var demoKey = clusterInstance is not null ? null : await EnsureKeyAsync(
            app.Services, WidgetifyAdministration.DemoTenant, ApiKeyRole.Tenant, Path.Combine(dataDir, DemoKeyFile), cancellationToken);
        if (clusterInstance is null)
        {
            // Saved, never printed: the dashboard and scripts read it from the file.
            _ = await EnsureKeyAsync(app.Services, OperatorTenant, ApiKeyRole.Operator, Path.Combine(dataDir, OperatorKeyFile), cancellationToken);
        }

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex) when (ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync(PortInUse(port));
            return 2;
        }

        if (clusterInstance is not null)
        {
            Console.WriteLine($"Widgetify instance {clusterInstance} is up at {url} (keys: {Path.Combine(dataDir, DemoKeyFile)}, not printed)");
        }
        else
        {
            PrintBanner();
        }

        void PrintBanner() => Console.WriteLine($"""

            Widgetify is up at {url}
              database       {database.Describe()}{(database.Cluster is { } c ? $" (embedded, data in {c.DataDirectory}{(c.OwnsServer ? "; restarted if it dies" : "")})\n  backups        {c.Backups.Root}   (WAL archived within 60 s; ./widgetify backup, ./widgetify restore --to TIME)" : "")}{DescribeStandbys(standbys, builder.Configuration)}{DescribeAutoscaler(app.Services.GetRequiredService<IOptions<ScalingOptions>>().Value, url)}
              demo tenant    '{WidgetifyAdministration.DemoTenant}'{(added > 0 ? $", {added:N0} widgets seeded now" : "")}
              demo API key   {demoKey}   (saved to {Path.Combine(dataDir, DemoKeyFile)})
              API            {url}/api/widgets   (Authorization: Bearer <key>)
              OpenAPI        {url}/openapi/v1.json
              health         {url}/health/live  {url}/health/ready
              operator key   saved to {Path.Combine(dataDir, OperatorKeyFile)}   (not printed: shells and logs keep what is printed)
              dashboard      {url}/dashboard   (asks for the operator key once per tab)
              alerts         {url}/api/alerts  {url}/api/incidents   (Authorization: Bearer <operator key>)
              metrics        {url}/metrics   (Prometheus text format{MetricsAccess(app.Services, protectMetrics ? metricsTokenFile : null)})
              postmortems    {postmortems}   (drafts written when an incident resolves; or ./widgetify postmortem latest)
            {(sampleId is null ? "" : $"  sample embed   {url}/w/{sampleId}\n")}
            Try:  curl -H "Authorization: Bearer {demoKey}" "{url}/api/widgets?limit=3"
            Ctrl-C stops the service (in-flight requests finish) and then {(standbys?.Streaming.Count > 0 ? "the standbys and " : "")}PostgreSQL.
            """);

        // Where a drill (or an operator's script) finds this service; gone when it stops. A fleet's instances share the data
        // folder, and the fleet is found through its own file (Cluster/ClusterState.cs).
        var serviceFile = Path.Combine(dataDir, Drills.DrillDeployment.ServiceFile);
        if (clusterInstance is null)
        {
            await File.WriteAllTextAsync(serviceFile, System.Text.Json.JsonSerializer.Serialize(new { url, pid = Environment.ProcessId }), cancellationToken);
        }

        using var removeServiceFile = app.Lifetime.ApplicationStopping.Register(() =>
        {
            if (clusterInstance is null)
            {
                File.Delete(serviceFile);
            }
        });

        // The servers this process started are kept running: one that dies is restarted on its port. The supervisor
        // stops as soon as the host begins to stop, so that it never restarts a server the shutdown is stopping.
        using var supervising = new CancellationTokenSource();
        var supervision = Task.CompletedTask;
        if (database.Cluster is { OwnsServer: true } cluster)
        {
            var supervisor = new ServerSupervisor(cluster, database.Standbys, TimeProvider.System, loggerFactory.CreateLogger<ServerSupervisor>());
            var incidents = app.Services.GetRequiredService<IncidentTracker>();
            var readReplicas = app.Services.GetRequiredService<ReadReplicas>();
            supervisor.Acted += action =>
            {
                incidents.RecordAutomaticAction(action.At, action.Message);
                if (action.Failover is { } failover)
                {
                    // The promoted standby is the primary now, on the primary's port; the others were made again.
                    _ = readReplicas.DrainAsync(failover.Promoted, TimeSpan.Zero, CancellationToken.None);
                    foreach (var rebuilt in failover.Rebuilt)
                    {
                        readReplicas.Add(rebuilt.Name, rebuilt.AppConnectionString);
                    }
                }
            };
            app.Lifetime.ApplicationStopping.Register(supervising.Cancel);
            supervision = supervisor.RunAsync(supervising.Token);
        }

        // A fleet's instance must not outlive its 'cluster up', even one killed with SIGKILL, which can stop nothing.
        var watch = clusterInstance is not null && clusterCoordinator is { } coordinator
            ? new Cluster.CoordinatorWatch(coordinator, dataDir, app.Lifetime, TimeProvider.System, loggerFactory.CreateLogger<Cluster.CoordinatorWatch>())
                .RunAsync(app.Lifetime.ApplicationStopping)
            : Task.CompletedTask;

        await app.WaitForShutdownAsync(CancellationToken.None);
        await supervising.CancelAsync();
        await supervision;
        await watch;
        return 0;
    }

    /// <summary>The banner's autoscaler line: its bounds when on, how to turn it on when off.</summary>
    private static string DescribeAutoscaler(ScalingOptions scaling, string url) => scaling.Enabled
        ? $"\n  autoscaler     {scaling.MinReplicas} to {scaling.MaxReplicas} standbys ({scaling.Provider.ToString().ToLowerInvariant()} provider); servers and decisions at {url}/api/scaling"
        : $"\n  autoscaler     off (--max-replicas M above --replicas turns it on); servers at {url}/api/scaling";

    /// <summary>Banner lines: each local standby and its state, or the standbys configured for --database-url.</summary>
    private static string DescribeStandbys(StandbyOutcome? standbys, ConfigurationManager configuration)
    {
        var lines = new System.Text.StringBuilder();
        if (standbys is null)
        {
            foreach (var replica in configuration.GetSection($"{WidgetifyOptions.SectionName}:{ReplicasSection}").GetChildren())
            {
                var described = replica["ConnectionString"] is { Length: > 0 } connectionString ? DatabaseTarget.Describe(connectionString) : "(no ConnectionString)";
                lines.Append(CultureInfo.InvariantCulture, $"\n  replica {replica.Key,-6} {described} (from configuration)");
            }

            return lines.ToString();
        }

        foreach (var standby in standbys.Streaming)
        {
            lines.Append(CultureInfo.InvariantCulture, $"\n  {standby.Name,-15}127.0.0.1:{standby.Port}, streaming (data in {standby.DataDirectory})");
        }

        foreach (var failure in standbys.Failures)
        {
            lines.Append(CultureInfo.InvariantCulture, $"\n  {failure.Name,-15}not running: {failure.Reason.Split('\n')[0]} (the log above has the details)");
        }

        return lines.ToString();
    }

    private static void DefaultSetting(ConfigurationManager configuration, Dictionary<string, string?> settings, string key, string value)
    {
        var path = $"{WidgetifyOptions.SectionName}:{key}";
        if (string.IsNullOrEmpty(configuration[path]))
        {
            settings[path] = value;
        }
    }

    /// <summary>The token saved by an earlier 'up --protect-metrics', or a new one saved owner-only: Prometheus's
    /// credentials_file keeps working across restarts.</summary>
    private static string EnsureMetricsToken(string path)
    {
        if (SecretFile.TryRead(path) is { Length: >= 16 } saved)
        {
            return saved;
        }

        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        SecretFile.Write(path, token);
        return token;
    }

    private static string MetricsAccess(IServiceProvider services, string? tokenFile) =>
        tokenFile is not null ? $"; Authorization: Bearer <token in {tokenFile}>"
        : string.IsNullOrEmpty(services.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Monitoring.MetricsToken) ? "; open: --protect-metrics asks for a token"
        : "; Authorization: Bearer <Monitoring:MetricsToken>";

    /// <summary>Reuses the saved key while it is still valid for this database, tenant and role; otherwise makes and saves a new one.</summary>
    private static async Task<string> EnsureKeyAsync(
        IServiceProvider services, string tenant, ApiKeyRole role, string path, CancellationToken cancellationToken)
    {
        var (key, created) = await services.EnsureKeyAsync(tenant, role, SecretFile.TryRead(path), cancellationToken);
        if (created)
        {
            SecretFile.Write(path, key);
        }

        return key;
    }
}
