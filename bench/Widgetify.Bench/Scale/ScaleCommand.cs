using System.CommandLine;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Scale;

/// <summary><c>scale</c>: measures the read-replica autoscaler end to end on a real <c>widgetify up</c> (see docs/benchmarks.md).</summary>
internal static class ScaleCommand
{
    public static Command Create(Func<ScaleSettings, CancellationToken, Task<int>> run)
    {
        var output = new Option<string?>("--output") { Description = "Output folder (default artifacts/bench/scale)." };
        var quick = new Option<bool>("--quick")
        {
            Description = "Fewer write-then-read pairs (1,000 instead of 3,000), shorter tails, ScaleInWindow 30 s instead of 45 s: about 2 minutes instead of 3.",
        };
        var service = new Option<string?>("--service") { Description = "widgetify.dll to run (default src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll)." };
        var surgeRate = new Option<double>("--surge-rate")
        {
            Description = "Reads/s of the surges; it must be well above what the primary serves alone, or nothing scales out.",
            DefaultValueFactory = _ => ScaleSettings.DefaultSurgeRate,
        };
        var clients = new Option<int>("--clients") { Description = "Client connections = most requests outstanding at once.", DefaultValueFactory = _ => ScaleSettings.DefaultClients };
        var seed = new Option<int>("--seed") { Description = "Seed of the request mix.", DefaultValueFactory = _ => ScaleSettings.DefaultSeed };
        surgeRate.Validators.Add(r => StormCommand.Require(r, r.GetValueOrDefault<double>() is > 0 and <= 100_000, "--surge-rate must be above 0 and at most 100000."));
        clients.Validators.Add(r => StormCommand.Require(r, r.GetValueOrDefault<int>() is >= 1 and <= 60_000, "--clients must be from 1 to 60000."));

        var command = new Command("scale", "Measure the read-replica autoscaler: scale-out under a read surge, kill -9 of a standby, stale reads while replay is paused, scale-in (see docs/benchmarks.md).")
        {
            output, quick, service, surgeRate, clients, seed,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var root = StormCommand.RepositoryRoot();
            var settings = new ScaleSettings
            {
                ServiceDll = Path.GetFullPath(parse.GetValue(service) ?? Path.Combine(root, "src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")),
                OutputDirectory = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(root, "artifacts", "bench", "scale")),
                CommandLine = "./widgetify bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(StormCommand.Quote)),
                Quick = parse.GetValue(quick),
                SurgeRate = parse.GetValue(surgeRate),
                Clients = parse.GetValue(clients),
                Seed = parse.GetValue(seed),
            };
            return run(settings, cancellationToken);
        });
        return command;
    }
}
