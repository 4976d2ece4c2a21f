using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using Widgetify.Postgres;

namespace Widgetify.Cli.Drills;

/// <summary><c>widgetify drill db-kill|replica-kill|primary-lost [--data-dir DIR] [--writers N] [--synchronous-replication]</c>:
/// injects a fault into an embedded deployment under a write load with a client-side ledger, and prints what it cost:
/// requests failed other than 503, seconds unavailable, seconds to recover, acknowledged writes lost and duplicated
/// (issue 13). Exit 0 when every goal is met, 2 when one is missed, 1 when the drill could not run.</summary>
internal static class DrillCommand
{
    /// <summary>The exit code of a drill that missed a goal.</summary>
    public const int MissedExitCode = 2;

    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);

    // After recovery, the load runs this much longer, so a relapse is seen.
    private static readonly TimeSpan SteadyAfterRecovery = TimeSpan.FromSeconds(3);

    public static Command Create()
    {
        var fault = new Argument<string>("fault")
        {
            Description = "db-kill (kill -9 of the primary), replica-kill (kill -9 of a standby) or primary-lost (the primary's data directory deleted).",
        };
        fault.Validators.Add(r =>
        {
            if (DrillFaults.Parse(r.GetValueOrDefault<string>() ?? "") is null)
            {
                r.AddError($"Unknown fault '{r.GetValueOrDefault<string>()}': db-kill, replica-kill or primary-lost.");
            }
        });
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "The data folder of a running 'up' to drill; when none runs there (or none is given), a fresh deployment is started for the drill and stopped after.",
        };
        var writers = new Option<int>("--writers") { Description = "Concurrent writers (default 8).", DefaultValueFactory = _ => 8 };
        var synchronous = new Option<bool>("--synchronous-replication")
        {
            Description = "Start the fresh deployment with synchronous replication (zero acknowledged loss on primary-lost).",
        };
        var command = new Command("drill", "Inject a fault under a write load and measure failures, unavailability, recovery and lost or duplicated writes.")
        {
            fault, dataDir, writers, synchronous,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            DrillFaults.Parse(parse.GetValue(fault)!)!.Value, parse.GetValue(dataDir), Math.Max(1, parse.GetValue(writers)), parse.GetValue(synchronous), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(DrillFault fault, string? dataDir, int writers, bool synchronous, CancellationToken cancellationToken)
    {
        DrillFigures figures;
        try
        {
            await using var deployment = await DrillDeployment.OpenAsync(dataDir, DrillFaults.StandbysNeeded(fault), synchronous, cancellationToken);
            await Console.Error.WriteLineAsync($"widgetify drill: {DrillFaults.Name(fault)} against {deployment.Service} ({(deployment.Fresh ? "a fresh deployment" : "the running one")}, data in {deployment.DataDirectory}), {writers} writers");
            var ledger = new WriteLedger(deployment.Service, deployment.ApiKey, Guid.NewGuid().ToString("N")[..8]);
            using var stopLoad = new CancellationTokenSource();
            var load = ledger.RunAsync(writers, stopLoad.Token);
            await Task.Delay(Warmup, cancellationToken);
            var faultAt = ledger.Now;
            Inject(fault, deployment);
            await WaitForRecoveryAsync(ledger, faultAt, DrillFaults.RecoveryGoal(fault) + TimeSpan.FromSeconds(30), cancellationToken);
            await stopLoad.CancelAsync();
            await load;

            var entries = ledger.Entries;
            var (lost, duplicated) = await CheckTableAsync(deployment, ledger, entries, cancellationToken);
            figures = DrillFigures.Of(DrillFaults.Name(fault), entries, faultAt, lost, duplicated, DrillFaults.RecoveryGoal(fault));
        }
        catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException or IOException)
        {
            await Console.Error.WriteLineAsync($"widgetify: the drill could not run: {ex.Message}");
            return 1;
        }

        Console.Write(figures.Print());
        return figures.MeetsGoals ? 0 : MissedExitCode;
    }

    private static void Inject(DrillFault fault, DrillDeployment deployment)
    {
        switch (fault)
        {
            case DrillFault.DbKill:
                Kill(deployment.PrimaryPgData);
                break;
            case DrillFault.ReplicaKill:
                Kill(deployment.StandbyPgDatas[0]);
                break;
            default:
                // Lost for good: the files go, the postmaster may live on over deleted files until the supervisor sees it.
                Directory.Delete(deployment.PrimaryPgData, recursive: true);
                break;
        }
    }

    private static void Kill(string pgData)
    {
        var pid = int.Parse(File.ReadLines(Path.Combine(pgData, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }

    /// <summary>Waits until writes have been acknowledged without a failure for <see cref="SteadyAfterRecovery"/>, or the
    /// bound passes.</summary>
    private static async Task WaitForRecoveryAsync(WriteLedger ledger, double faultAt, TimeSpan bound, CancellationToken cancellationToken)
    {
        while (ledger.Now - faultAt < bound.TotalSeconds)
        {
            await Task.Delay(200, cancellationToken);
            var after = ledger.Entries.Where(e => e.AnsweredAt >= faultAt + 0.5).ToList();
            var lastBad = after.Where(e => e.Outcome != Outcome.Acknowledged).Select(e => e.AnsweredAt).DefaultIfEmpty(faultAt).Max();
            if (ledger.Now - lastBad >= SteadyAfterRecovery.TotalSeconds && after.Any(e => e.Outcome == Outcome.Acknowledged && e.AnsweredAt > lastBad))
            {
                return;
            }
        }
    }

    /// <summary>Acknowledged writes missing from the table, and writes stored more than once, read on the primary.</summary>
    private static async Task<(int Lost, int Duplicated)> CheckTableAsync(
        DrillDeployment deployment, WriteLedger ledger, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        // The cluster's own handle attaches to the running server (it does not own it, so it leaves it running).
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = deployment.ClusterDirectory }, cancellationToken: cancellationToken);
        await using var connection = new NpgsqlConnection(cluster.AppConnectionString);
        await connection.OpenAsync(cancellationToken);
        var acknowledged = entries.Where(e => e.Id is not null).Select(e => e.Id!.Value).ToArray();
        await using var lost = new NpgsqlCommand(
            "SELECT count(*)::int FROM unnest($1::uuid[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM widgets w WHERE w.id = a.id)", connection)
        {
            Parameters = { new() { Value = acknowledged } },
        };
        await using var duplicated = new NpgsqlCommand(
            "SELECT COALESCE(sum(n - 1), 0)::int FROM (SELECT count(*) AS n FROM widgets WHERE starts_with(name, $1) GROUP BY name HAVING count(*) > 1) d", connection)
        {
            Parameters = { new() { Value = ledger.NamePrefix } },
        };
        return ((int)(await lost.ExecuteScalarAsync(cancellationToken))!, (int)(await duplicated.ExecuteScalarAsync(cancellationToken))!);
    }
}
