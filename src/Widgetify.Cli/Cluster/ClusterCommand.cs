using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Widgetify.Cli.Cluster;

/// <summary><c>widgetify cluster up|status|restart</c>: a fleet of API instances behind HAProxy on one machine, sharing one
/// PostgreSQL and its connection budget (docs/operations.md, docs/scaling.md).</summary>
internal static class ClusterCommand
{
    /// <summary>The TLS port is the HTTP port plus this (8080 gives 8443), unless --tls-port says otherwise.</summary>
    public const int TlsPortOffset = 363;

    public static Command Create() => new("cluster", "Run several instances behind HAProxy on this machine: up, status, restart.")
    {
        UpVerb(), StatusVerb(), RestartVerb(),
    };

    private static Command UpVerb()
    {
        var instances = new Option<int>("--instances") { Description = "API processes to run, each on its own loopback port (1 to 32).", DefaultValueFactory = _ => 2 };
        instances.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 32)
            {
                r.AddError("--instances must be from 1 to 32.");
            }
        });
        var replicas = new Option<int>("--replicas")
        {
            Description = "Streaming standbys of the embedded PostgreSQL; every instance reads from them (as with 'up --replicas').",
            DefaultValueFactory = _ => 0,
        };
        replicas.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 8)
            {
                r.AddError("--replicas must be from 0 to 8.");
            }
        });
        var maxReplicas = new Option<int?>("--max-replicas")
        {
            Description = "Turns the read-replica autoscaler on: it keeps between --replicas and this many standbys (at most 8). It runs in " +
                "the instance holding its lease, and this process adds and removes the standbys it asks for; every instance follows them (docs/scaling.md).",
        };
        maxReplicas.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0 or > 8)
            {
                r.AddError("--max-replicas must be from 0 to 8.");
            }
        });
        var port = PortOption("--port", "HAProxy's plain-HTTP port on 127.0.0.1.", 8080);
        var tlsPort = new Option<int?>("--tls-port") { Description = $"HAProxy's TLS port on 127.0.0.1 (default --port + {TlsPortOffset})." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (chain) for the TLS port; default: a self-signed one made under <data-dir>/cluster/." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var widgets = CommonOptions.DemoWidgets();
        var dataDir = CommonOptions.DataDir();
        var command = new Command("up", "Start PostgreSQL, N instances and HAProxy; Ctrl-C stops all of it in order.")
        {
            instances, replicas, maxReplicas, port, tlsPort, tlsCert, tlsKey, widgets, dataDir,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(tlsCert) is null != r.GetValue(tlsKey) is null)
            {
                r.AddError("--tls-cert and --tls-key go together: give both, or neither for a self-signed certificate.");
            }

            foreach (var file in (string?[])[r.GetValue(tlsCert), r.GetValue(tlsKey)])
            {
                if (file is not null && !File.Exists(file))
                {
                    r.AddError($"'{file}' does not exist: give the path of a PEM file.");
                }
            }

            if (r.GetValue(maxReplicas) is { } max && max <= r.GetValue(replicas))
            {
                // Equal bounds leave the autoscaler off (Widgetify:Scaling:MaxReplicas must be above MinReplicas), and a banner
                // that said "on: N to N" would not be true.
                r.AddError($"--max-replicas ({max}) must be above --replicas ({r.GetValue(replicas)}) to turn the autoscaler on; " +
                    "leave it out for a fixed number of standbys.");
            }

            var given = r.GetValue(tlsPort);
            var tls = given ?? r.GetValue(port) + TlsPortOffset;
            if (tls is < 1 or > 65535 || tls == r.GetValue(port))
            {
                // Without --tls-port the port is derived: say so, or the error names an option the user never gave.
                r.AddError(given is null
                    ? $"The TLS port defaults to --port + {TlsPortOffset} ({tls}), which is not a port: give --tls-port, or a lower --port."
                    : $"--tls-port ({tls}) must be from 1 to 65535 and differ from --port.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
            var settings = new FleetSettings(
                parse.GetValue(dataDir)!, parse.GetValue(instances), parse.GetValue(replicas), parse.GetValue(port),
                parse.GetValue(tlsPort) ?? parse.GetValue(port) + TlsPortOffset, parse.GetValue(widgets), parse.GetValue(tlsCert), parse.GetValue(tlsKey))
            {
                MaxReplicas = parse.GetValue(maxReplicas),
            };
            _ = Fleet.HaproxyBinary();
            using var fleet = new Fleet(settings, ClusterOptions.FromEnvironment(), TimeProvider.System, loggerFactory.CreateLogger("widgetify.cluster"));
            return await fleet.RunAsync(cancellationToken);
        });
        return command;
    }

    private static Command StatusVerb()
    {
        var format = CommonOptions.TableOrJson();
        var dataDir = CommonOptions.DataDir();
        var command = new Command("status", "Every process of the running cluster: instances (state, connection share), PostgreSQL servers, HAProxy.")
        {
            format, dataDir,
        };
        command.SetAction((parse, cancellationToken) => ClusterStatus.RunAsync(parse.GetValue(dataDir)!, parse.GetValue(format) == "json", cancellationToken));
        return command;
    }

    private static Command RestartVerb()
    {
        var dataDir = CommonOptions.DataDir();
        var command = new Command("restart", "Restart the instances one at a time, each drained first: no request fails.") { dataDir };
        command.SetAction((parse, cancellationToken) => RollingRestart.RunAsync(parse.GetValue(dataDir)!, TimeProvider.System, cancellationToken));
        return command;
    }

    private static Option<int> PortOption(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 65535)
            {
                r.AddError($"{name} must be from 1 to 65535.");
            }
        });
        return option;
    }
}
