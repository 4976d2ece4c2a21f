using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Widgetify.Bench.Storm;

/// <summary><c>storm</c>: reproduces the 15 February 2024 outage (a spike of traffic, a pool allowed more
/// connections than PostgreSQL takes) and compares five configurations in one run.</summary>
internal static class StormCommand
{
    /// <summary>Widgets seeded by default: enough that the random shape's embeds cannot all be cached.</summary>
    public const int DefaultWidgets = 20_000;

    public static Command Create(Func<StormSettings, CancellationToken, Task<int>> run)
    {
        var baselineRate = new Option<double?>("--baseline-rate") { Description = "Requests/s in warm-up, baseline and recovery (default: 30% of the reference peak of each shape)." };
        var stormRate = new Option<double?>("--storm-rate") { Description = "Lowest storm rate in requests/s; each shape's storm offers max(--overload x the reference peak, this)." };
        var capacity = new Option<double?>("--capacity") { Description = "Skip the peak ramps and take this peak (requests/s) for every configuration and shape." };
        var clients = new Option<int>("--clients") { Description = "Client connections = most requests outstanding at once.", DefaultValueFactory = _ => StormSettings.DefaultClients };
        var timeout = new Option<double>("--timeout") { Description = "Client timeout in seconds (a timeout is an error).", DefaultValueFactory = _ => StormSettings.DefaultClientTimeoutSeconds };
        var warmup = new Option<int?>("--warmup-seconds") { Description = $"Warm-up, not recorded: its first half closed loop with {StormRunner.WarmupWorkers} workers, then the baseline rate (default {StormSettings.DefaultWarmupSeconds}; --quick {StormSettings.QuickWarmupSeconds})." };
        var baseline = new Option<int?>("--baseline-seconds") { Description = $"Baseline phase (default {StormSettings.DefaultBaselineSeconds}; --quick {StormSettings.QuickBaselineSeconds})." };
        var storm = new Option<int?>("--storm-seconds") { Description = $"Storm phase (default {StormSettings.DefaultStormSeconds}; --quick {StormSettings.QuickStormSeconds})." };
        var recovery = new Option<int?>("--recovery-seconds") { Description = $"Recovery phase at the baseline rate (default {StormSettings.DefaultRecoverySeconds}; --quick {StormSettings.QuickRecoverySeconds})." };
        var configs = new Option<string>("--configs") { Description = "Configurations to run, e.g. 1,2,5 (1 Feb 15, 2 Npgsql defaults, 3 ConcurrencyLimiter, 4 PgBouncer, 5 Widgetify, 6 Widgetify unguarded, 7 Widgetify with the CPU shed).", DefaultValueFactory = _ => "1,2,3,4,5,6,7" };
        var output = new Option<string?>("--output") { Description = "Output folder (default artifacts/bench/storm-<UTC timestamp>)." };
        var quick = new Option<bool>("--quick")
        {
            Description = $"Short phases ({StormSettings.QuickWarmupSeconds}/{StormSettings.QuickBaselineSeconds}/{StormSettings.QuickStormSeconds}/{StormSettings.QuickRecoverySeconds} s) and {StormSettings.QuickRampStepSeconds} s ramp steps, incidents resolved after {StormSettings.QuickIncidentResolveAfterSeconds} s, no wait for an earlier configuration's incident: each shape's storm 5 s (see docs/benchmarks.md for how long a run takes).",
        };
        var service = new Option<string?>("--service") { Description = "widgetify.dll to run (default src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll)." };
        var resolveAfter = new Option<int?>("--resolve-after")
        {
            Description = $"Seconds an incident must stay quiet before the service resolves it (Widgetify__Monitoring__Incidents__ResolveAfter; default {StormSettings.DefaultIncidentResolveAfterSeconds}; --quick {StormSettings.QuickIncidentResolveAfterSeconds}).",
        };
        var resolutionWait = new Option<int?>("--resolution-wait")
        {
            Description = $"Seconds to keep polling after the load for the incident to resolve (default --resolve-after + {StormSettings.DefaultResolutionMarginSeconds}; --quick + {StormSettings.QuickResolutionMarginSeconds}).",
        };
        var shapes = new Option<string>("--shapes")
        {
            Description = "Storm shapes, each its own storm: hot (one widget's embed), random (embeds over every widget), list, writes (creates, updates, votes), mixed.",
            DefaultValueFactory = _ => "hot,random,list,writes,mixed",
        };
        var noPin = new Option<bool>("--no-pin") { Description = "Do not pin the load generator to core 0 and the service, PostgreSQL and PgBouncer to the others (their CPU is measured either way)." };
        var overload = new Option<double>("--overload")
        {
            Description = $"Each shape's storm offers this many times the reference configuration's (Widgetify's) closed-loop peak of the shape (default {StormSettings.DefaultOverload}).",
            DefaultValueFactory = _ => StormSettings.DefaultOverload,
        };
        var widgets = new Option<int>("--widgets")
        {
            Description = $"Widgets seeded for the demo tenant; the random shape spreads over all of them (default {DefaultWidgets:N0}, more than a cache would hold).",
            DefaultValueFactory = _ => DefaultWidgets,
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the request mix.", DefaultValueFactory = _ => StormSettings.DefaultSeed };

        clients.Validators.Add(r => Require(r, r.GetValueOrDefault<int>() is >= 1 and <= 60_000, "--clients must be from 1 to 60000."));
        timeout.Validators.Add(r => Require(r, r.GetValueOrDefault<double>() is > 0 and <= 60, "--timeout must be above 0 and at most 60 s."));
        shapes.Validators.Add(r => Require(r, StormShapes.TryParse(r.GetValueOrDefault<string>(), out _), "--shapes must list hot, random, list, writes or mixed, e.g. hot,list."));
        overload.Validators.Add(r => Require(r, r.GetValueOrDefault<double>() is > 0 and <= 100, "--overload must be above 0 and at most 100."));
        widgets.Validators.Add(r => Require(r, r.GetValueOrDefault<int>() is >= 1 and <= 100_000, "--widgets must be from 1 to 100000."));
        configs.Validators.Add(r => Require(r, TryParseConfigs(r.GetValueOrDefault<string>(), out _), "--configs must list numbers from 1 to 6, e.g. 1,2,5."));
        foreach (var rate in new[] { baselineRate, stormRate, capacity })
        {
            rate.Validators.Add(r => Require(r, r.GetValueOrDefault<double?>() is null or > 0, $"{r.Option.Name} must be above 0."));
        }

        resolveAfter.Validators.Add(r => Require(r, r.GetValueOrDefault<int?>() is null or >= 1 and <= 3600, "--resolve-after must be from 1 to 3600 s."));
        resolutionWait.Validators.Add(r => Require(r, r.GetValueOrDefault<int?>() is null or >= 0 and <= 600, "--resolution-wait must be from 0 to 600 s."));
        foreach (var seconds in new[] { warmup, baseline, storm, recovery })
        {
            seconds.Validators.Add(r => Require(r, r.GetValueOrDefault<int?>() is null or >= 0 and <= 600, $"{r.Option.Name} must be from 0 to 600."));
        }

        var command = new Command("storm", "Reproduce the Feb 15 outage: storms of five shapes against six configurations, each judged against its own peak (see docs/benchmarks.md).")
        {
            baselineRate, stormRate, capacity, clients, timeout, warmup, baseline, storm, recovery, configs, output, quick, service, seed,
            resolveAfter, resolutionWait, shapes, noPin, overload, widgets,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var isQuick = parse.GetValue(quick);
            // The validator has already refused anything TryParseConfigs cannot read.
            var numbers = TryParseConfigs(parse.GetValue(configs), out var parsed) ? parsed : BenchConfiguration.All.Select(c => c.Number).ToList();
            var root = RepositoryRoot();
            var resolveAfterSeconds = parse.GetValue(resolveAfter)
                ?? (isQuick ? StormSettings.QuickIncidentResolveAfterSeconds : StormSettings.DefaultIncidentResolveAfterSeconds);
            var waitSeconds = parse.GetValue(resolutionWait)
                ?? resolveAfterSeconds + (isQuick ? StormSettings.QuickResolutionMarginSeconds : StormSettings.DefaultResolutionMarginSeconds);
            var settings = new StormSettings
            {
                ServiceDll = Path.GetFullPath(parse.GetValue(service) ?? Path.Combine(root, "src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")),
                OutputDirectory = Path.GetFullPath(parse.GetValue(output)
                    ?? Path.Combine(root, "artifacts", "bench", "storm-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture))),
                CommandLine = "./widgetify bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote)),
                Configurations = numbers,
                BaselineRate = parse.GetValue(baselineRate),
                StormRate = parse.GetValue(stormRate),
                Capacity = parse.GetValue(capacity),
                Clients = parse.GetValue(clients),
                ClientTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                WarmupSeconds = parse.GetValue(warmup) ?? (isQuick ? StormSettings.QuickWarmupSeconds : StormSettings.DefaultWarmupSeconds),
                BaselineSeconds = Math.Max(1, parse.GetValue(baseline) ?? (isQuick ? StormSettings.QuickBaselineSeconds : StormSettings.DefaultBaselineSeconds)),
                StormSeconds = Math.Max(1, parse.GetValue(storm) ?? (isQuick ? StormSettings.QuickStormSeconds : StormSettings.DefaultStormSeconds)),
                RecoverySeconds = Math.Max(1, parse.GetValue(recovery) ?? (isQuick ? StormSettings.QuickRecoverySeconds : StormSettings.DefaultRecoverySeconds)),
                RampStep = TimeSpan.FromSeconds(isQuick ? StormSettings.QuickRampStepSeconds : StormSettings.DefaultRampStepSeconds),
                RampWorkers = isQuick ? StormSettings.QuickRampWorkers : StormSettings.DefaultRampWorkers,
                Shapes = StormShapes.TryParse(parse.GetValue(shapes), out var chosen) ? chosen : StormShapes.All,
                Pin = !parse.GetValue(noPin),
                Overload = parse.GetValue(overload),
                DemoWidgets = parse.GetValue(widgets),
                Seed = parse.GetValue(seed),
                IncidentResolveAfter = TimeSpan.FromSeconds(resolveAfterSeconds),
                ResolutionWait = TimeSpan.FromSeconds(waitSeconds),
                IncidentWait = isQuick ? TimeSpan.Zero : null,
            };
            return run(settings, cancellationToken);
        });
        return command;
    }

    /// <summary>Parses "1,2,5" into distinct configuration numbers in ascending order.</summary>
    internal static bool TryParseConfigs(string? text, out IReadOnlyList<int> numbers)
    {
        var parsed = new SortedSet<int>();
        numbers = [];
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > BenchConfiguration.All.Count)
            {
                return false;
            }

            parsed.Add(number);
        }

        numbers = [.. parsed];
        return parsed.Count > 0;
    }

    /// <summary>The folder holding Widgetify.slnx above the bench's binaries (or the current folder).</summary>
    internal static string RepositoryRoot() => FindRepositoryRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();

    /// <summary>The nearest folder holding Widgetify.slnx at or above <paramref name="folder"/>; null if there is none.</summary>
    internal static string? FindRepositoryRoot(string? folder)
    {
        for (; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (File.Exists(Path.Combine(folder, "Widgetify.slnx")))
            {
                return folder;
            }
        }

        return null;
    }

    internal static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or '/' or '=')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    internal static void Require(OptionResult result, bool valid, string message)
    {
        if (!valid)
        {
            result.AddError(message);
        }
    }
}
