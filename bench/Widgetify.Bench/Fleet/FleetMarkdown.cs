using System.Globalization;
using System.Text;

namespace Widgetify.Bench.Fleet;

/// <summary>The table <c>bench fleet</c> prints and writes to fleet.md, and its goals.</summary>
internal static class FleetMarkdown
{
    public const string Header =
        "| phase | instances | offered req/s | s | served req/s | served / offered | p50 ms | p99 ms | failed | which failed | 503 + Retry-After | peak PG conns, instances | budget | peak PG conns, all clients | notes |";

    /// <summary>The goals missed, each in a sentence; empty when every one is met. No failed request during a rolling
    /// restart; the instances' connections never above the budget in any phase; a budget known for every phase.</summary>
    public static IReadOnlyList<string> MissedGoals(IReadOnlyList<FleetPhaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var missed = new List<string>();
        foreach (var r in results)
        {
            if (r.Phase == FleetRunner.RestartPhase && r.Failed > 0)
            {
                missed.Add(F($"{r.Failed} request(s) failed during the rolling restart of {r.Instances} instances ({r.FailedDetail}); the goal is 0."));
            }

            if (r.OverBudget)
            {
                missed.Add(F($"{r.Phase} at {r.Instances} instance(s): the instances held {r.PeakInstanceConnections} PostgreSQL connections, above the budget of {r.Budget}."));
            }

            if (r.Budget is null)
            {
                missed.Add(F($"{r.Phase} at {r.Instances} instance(s): the budget is unknown ('cluster status' did not report it), so the connections could not be checked."));
            }

            if (r.PeakInstanceConnections < 0)
            {
                missed.Add(F($"{r.Phase} at {r.Instances} instance(s): no pg_stat_activity sample was taken, so the connections could not be checked."));
            }
        }

        return missed;
    }

    public static string Render(IReadOnlyList<FleetPhaseResult> results, FleetSettings settings, string version, string machine)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(settings);
        var text = new StringBuilder();
        text.AppendLine(F($"`{settings.CommandLine}`, service {version}."));
        text.AppendLine();
        text.AppendLine(machine);
        text.AppendLine();
        text.AppendLine(Header);
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in results)
        {
            text.AppendLine(F(
                $"| {r.Phase} | {r.Instances} | {r.OfferedRate:0} | {r.Seconds:0.0} | {r.Throughput:0.0} | {r.Throughput / r.OfferedRate:0.00} | {r.P50Milliseconds:0.0} | {r.P99Milliseconds:0.0} | {r.Failed} | {(r.FailedDetail.Length == 0 ? "-" : r.FailedDetail)} | {r.Shed} | {(r.PeakInstanceConnections < 0 ? "?" : r.PeakInstanceConnections.ToString(CultureInfo.InvariantCulture))} | {r.Budget?.ToString(CultureInfo.InvariantCulture) ?? "?"} | {(r.PeakAllConnections < 0 ? "?" : r.PeakAllConnections.ToString(CultureInfo.InvariantCulture))} | {r.Note} |"));
        }

        text.AppendLine();
        var missed = MissedGoals(results);
        text.AppendLine(missed.Count == 0
            ? "Goals: met (no failed request during the rolling restart; the instances' PostgreSQL connections never above the budget)."
            : "Goals missed:\n" + string.Join('\n', missed.Select(m => "- " + m)));
        return text.ToString();
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
