using System.Globalization;
using System.Text;

namespace Widgetify.Bench.Fleet;

/// <summary>The table <c>bench fleet</c> prints and writes to fleet.md, and its goals.</summary>
internal static class FleetMarkdown
{
    public const string Header =
        "| phase | instances | offered req/s | s | served req/s | served / offered | p50 ms | p99 ms | failed | which failed | 503 + Retry-After | which shed | peak PG conns, instances | budget | peak PG conns, all clients | notes |";

    /// <summary>The goals missed, each in a sentence; empty when every one is met. During a rolling restart no request
    /// fails or is shed (issue 16), and the <c>cluster restart</c> ends with exit code 0 within <paramref name="faultBound"/>
    /// (a restart that refused or gave up restarted nothing, and one still running when the load stopped was not measured
    /// under load to its end); the instances' connections never above the budget in any phase; a budget known for every phase.</summary>
    public static IReadOnlyList<string> MissedGoals(IReadOnlyList<FleetPhaseResult> results, TimeSpan faultBound)
    {
        ArgumentNullException.ThrowIfNull(results);
        var missed = new List<string>();
        foreach (var r in results)
        {
            if (r.Phase == FleetRunner.RestartPhase)
            {
                if (r.Failed > 0)
                {
                    missed.Add(F($"{r.Failed} request(s) failed during the rolling restart of {r.Instances} instances ({r.FailedDetail}); the goal is 0."));
                }

                if (r.Shed > 0)
                {
                    missed.Add(F($"{r.Shed} request(s) were shed (503 with Retry-After) during the rolling restart of {r.Instances} instances; the goal (issue 16) is 0."));
                }

                if (r.RestartExitCode is not 0)
                {
                    missed.Add(r.RestartExitCode is { } code
                        ? F($"'cluster restart' of {r.Instances} instances exited with {code} after {r.RestartSeconds:0.0} s (see cluster-restart.log); the goal is 0.")
                        : F($"'cluster restart' of {r.Instances} instances did not run to its end."));
                }
                else if (r.RestartSeconds > faultBound.TotalSeconds)
                {
                    missed.Add(F($"'cluster restart' of {r.Instances} instances took {r.RestartSeconds:0.0} s, past the phase's bound of {faultBound.TotalSeconds:0} s, so the load did not cover it to its end."));
                }
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
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |");
        foreach (var r in results)
        {
            text.AppendLine(F(
                $"| {r.Phase} | {r.Instances} | {r.OfferedRate:0} | {r.Seconds:0.0} | {r.Throughput:0.0} | {r.Throughput / r.OfferedRate:0.00} | {r.P50Milliseconds:0.0} | {r.P99Milliseconds:0.0} | {r.Failed} | {(r.FailedDetail.Length == 0 ? "-" : r.FailedDetail)} | {r.Shed} | {(r.ShedDetail.Length == 0 ? "-" : r.ShedDetail)} | {(r.PeakInstanceConnections < 0 ? "?" : r.PeakInstanceConnections.ToString(CultureInfo.InvariantCulture))} | {r.Budget?.ToString(CultureInfo.InvariantCulture) ?? "?"} | {(r.PeakAllConnections < 0 ? "?" : r.PeakAllConnections.ToString(CultureInfo.InvariantCulture))} | {r.Note} |"));
        }

        text.AppendLine();
        var missed = MissedGoals(results, settings.FaultBound);
        text.AppendLine(missed.Count == 0
            ? "Goals: met (no failed or shed request during the rolling restart, which ended with exit code 0 within the phase's bound; the instances' PostgreSQL connections above the budget in no sample from the start of each phase's load)."
            : "Goals missed:\n" + string.Join('\n', missed.Select(m => "- " + m)));
        return text.ToString();
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
