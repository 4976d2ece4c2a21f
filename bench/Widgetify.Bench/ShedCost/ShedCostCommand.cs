using System.CommandLine;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.ShedCost;

/// <summary><c>shed-cost</c>: the service's CPU per request for a served embed, a shed before routing and a shed after
/// routing (issue 15's ratio r; see docs/benchmarks.md).</summary>
internal static class ShedCostCommand
{
    public static Command Create(Func<ShedCostSettings, CancellationToken, Task<int>> run)
    {
        var output = new Option<string?>("--output") { Description = "Output folder (default artifacts/bench/shed-cost)." };
        var service = new Option<string?>("--service") { Description = "widgetify.dll to run (default src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll)." };
        var requests = new Option<int>("--requests")
        {
            Description = "Served embeds per loop (sheds: five times as many), after a warm-up of a quarter as many; each figure is the median of 3 loops.",
            DefaultValueFactory = _ => ShedCostSettings.DefaultRequests,
        };
        var connections = new Option<int>("--connections")
        {
            Description = "Closed-loop client connections (each sends its next request when the last is answered).",
            DefaultValueFactory = _ => ShedCostSettings.DefaultConnections,
        };
        requests.Validators.Add(r => StormCommand.Require(r, r.GetValueOrDefault<int>() is >= 1_000 and <= 10_000_000, "--requests must be from 1000 to 10000000."));
        connections.Validators.Add(r => StormCommand.Require(r, r.GetValueOrDefault<int>() is >= 1 and <= 1_000, "--connections must be from 1 to 1000."));

        var command = new Command("shed-cost", "Measure what a shed costs the service against a served embed: CPU per request (from /proc) for served, shed before routing and shed after routing (see docs/benchmarks.md).")
        {
            output, service, requests, connections,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var root = StormCommand.RepositoryRoot();
            var settings = new ShedCostSettings
            {
                ServiceDll = Path.GetFullPath(parse.GetValue(service) ?? Path.Combine(root, "src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")),
                OutputDirectory = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(root, "artifacts", "bench", "shed-cost")),
                CommandLine = "./widgetify bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(StormCommand.Quote)),
                Requests = parse.GetValue(requests),
                Connections = parse.GetValue(connections),
            };
            return run(settings, cancellationToken);
        });
        return command;
    }
}

/// <summary>What <c>bench shed-cost</c> runs.</summary>
internal sealed record ShedCostSettings
{
    public const int DefaultRequests = 20_000;
    public const int DefaultConnections = 8;

    public required string ServiceDll { get; init; }

    public required string OutputDirectory { get; init; }

    public required string CommandLine { get; init; }

    public int Requests { get; init; } = DefaultRequests;

    public int Connections { get; init; } = DefaultConnections;

    /// <summary>Widgets seeded; the served embeds go round them.</summary>
    public int DemoWidgets { get; init; } = 20;
}
