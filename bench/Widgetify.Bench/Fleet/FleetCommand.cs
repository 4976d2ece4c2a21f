using System.CommandLine;
using System.Globalization;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Fleet;

/// <summary><c>fleet</c>: a real <c>cluster up</c> behind HAProxy at 1, 2, 4 instances under one fixed offered load, then a
/// rolling restart and a kill -9 at the largest count (issue 16; see docs/benchmarks.md).</summary>
internal static class FleetCommand
{
    public static Command Create(Func<FleetSettings, CancellationToken, Task<int>> run)
    {
        var instances = new Option<string>("--instances") { Description = "Instance counts to run, e.g. 1,2,4 (each 1 to 8); the fault phases run at the largest.", DefaultValueFactory = _ => "1,2,4" };
        var seconds = new Option<int?>("--seconds") { Description = $"Measured seconds per instance count (default {FleetSettings.DefaultSeconds}; --quick {FleetSettings.QuickSeconds}), after a warm-up of {FleetSettings.WarmupSeconds} s." };
        var rate = new Option<double>("--rate") { Description = "Offered load in requests/s, open loop, the same for every count and phase.", DefaultValueFactory = _ => FleetSettings.DefaultRate };
        var output = new Option<string?>("--output") { Description = "Output folder (default artifacts/bench/fleet)." };
        var quick = new Option<bool>("--quick") { Description = $"Instance counts 1,2 unless --instances says otherwise, {FleetSettings.QuickSeconds} s each: about 2-3 minutes in all." };
        var service = new Option<string?>("--service") { Description = "widgetify.dll to run (default src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll)." };
        var noPin = new Option<bool>("--no-pin") { Description = "Do not pin the load generator to core 0 and the fleet (cluster up, its instances, HAProxy, PostgreSQL) to the others." };
        instances.Validators.Add(r => StormCommand.Require(r, TryParseCounts(r.GetValueOrDefault<string>(), out _), "--instances must list counts from 1 to 8, e.g. 1,2,4."));
        seconds.Validators.Add(r => StormCommand.Require(r, r.GetValueOrDefault<int?>() is null or (>= 2 and <= 600), "--seconds must be from 2 to 600."));
        rate.Validators.Add(r => StormCommand.Require(r, r.GetValueOrDefault<double>() is >= 1 and <= 20_000, "--rate must be from 1 to 20000."));

        var command = new Command("fleet", "Measure a fleet behind HAProxy: 1, 2, 4 instances at one offered load (throughput, p50/p99, failures, peak PostgreSQL connections against the budget), then a rolling restart and a kill -9 at the largest count (see docs/benchmarks.md).")
        {
            instances, seconds, rate, output, quick, service, noPin,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var isQuick = parse.GetValue(quick);
            var given = parse.GetResult(instances) is { Implicit: false };
            var counts = TryParseCounts(parse.GetValue(instances), out var parsed) ? parsed : [1, 2, 4];
            var root = StormCommand.RepositoryRoot();
            var settings = new FleetSettings
            {
                ServiceDll = Path.GetFullPath(parse.GetValue(service) ?? Path.Combine(root, "src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")),
                OutputDirectory = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(root, "artifacts", "bench", "fleet")),
                CommandLine = "./widgetify bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(StormCommand.Quote)),
                InstanceCounts = isQuick && !given ? [1, 2] : counts,
                Seconds = parse.GetValue(seconds) ?? (isQuick ? FleetSettings.QuickSeconds : FleetSettings.DefaultSeconds),
                Rate = parse.GetValue(rate),
                Pin = !parse.GetValue(noPin),
            };
            return run(settings, cancellationToken);
        });
        return command;
    }

    /// <summary>A comma-separated list of distinct counts from 1 to 8, in the order given.</summary>
    internal static bool TryParseCounts(string? text, out IReadOnlyList<int> counts)
    {
        var list = new List<int>();
        counts = list;
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 8 || list.Contains(n))
            {
                return false;
            }

            list.Add(n);
        }

        return list.Count > 0;
    }
}
