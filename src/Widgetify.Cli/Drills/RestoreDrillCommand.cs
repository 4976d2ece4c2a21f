using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using Widgetify.Postgres;
using Widgetify.Postgres.Backups;

namespace Widgetify.Cli.Drills;

/// <summary><c>widgetify drill restore [--writers N]</c>: proves point-in-time restore on a fresh deployment. Writers
/// create widgets with a client-side ledger; a base backup is taken mid-way; a point T is read from the server's clock;
/// more is written; the service is stopped and the cluster restored to T. Then every write acknowledged before T must be
/// in the table and none sent after T (lost 0, extra 0); the writes in flight at T may go either way and are reported.
/// Exit 0 when both goals are met, 2 when one is missed, 1 when the drill could not run.</summary>
internal static class RestoreDrillCommand
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(4);

    public static Command Create()
    {
        var writers = CommonOptions.Writers();
        var dataDir = new Option<string?>("--data-dir") { Hidden = true };
        var command = new Command("restore", "Back up under a write load, restore to a point in time, and check the ledger against the table (a fresh deployment only).")
        {
            writers, dataDir,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(dataDir) is not null)
            {
                r.AddError("'drill restore' replaces the cluster it restores, so it only runs on a fresh deployment of its own: run it without --data-dir.");
            }
        });
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(writers), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int writers, CancellationToken cancellationToken)
    {
        Figures figures;
        try
        {
            await using var deployment = await DrillDeployment.OpenAsync(null, 0, false, cancellationToken);
            await Console.Error.WriteLineAsync($"widgetify drill: restore against a fresh deployment at {deployment.Service} (data in {deployment.DataDirectory}), {writers} writers");
            var ledger = new WriteLedger(deployment.Service, deployment.ApiKey, Guid.NewGuid().ToString("N")[..8]);
            using var stopLoad = new CancellationTokenSource();
            var load = ledger.RunAsync(writers, stopLoad.Token);
            await Task.Delay(Phase, cancellationToken);

            var backupClock = Stopwatch.StartNew();
            var backup = await ClusterBackups.BackupAsync(await deployment.AttachAsync(cancellationToken), null, TimeProvider.System, cancellationToken);
            var backupSeconds = backupClock.Elapsed.TotalSeconds;
            await Task.Delay(Phase, cancellationToken);

            // T on the server's clock (commit times are on it), bracketed by the ledger's clock.
            var before = ledger.Now;
            var target = await deployment.QueryAsAdministratorAsync<DateTime>("SELECT clock_timestamp()", cancellationToken);
            var after = ledger.Now;
            await Task.Delay(Phase, cancellationToken);
            await stopLoad.CancelAsync();
            await load;

            await deployment.StopServiceAsync();
            var restoreClock = Stopwatch.StartNew();
            var restored = await ClusterRestore.RestoreAsync(
                new RestoreOptions { DataDirectory = deployment.ClusterDirectory, Target = new DateTimeOffset(target, TimeSpan.Zero) }, null, cancellationToken);
            var restoreSeconds = restoreClock.Elapsed.TotalSeconds;

            var entries = ledger.Entries.Where(e => e.Id is not null).ToList();
            var acknowledgedBefore = entries.Where(e => e.AnsweredAt < before).Select(e => e.Id!.Value).ToArray();
            var sentAfter = entries.Where(e => e.SentAt > after).Select(e => e.Id!.Value).ToArray();
            var inFlight = entries.Where(e => e.AnsweredAt >= before && e.SentAt <= after).Select(e => e.Id!.Value).ToArray();
            await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = deployment.ClusterDirectory }, cancellationToken: cancellationToken);
            var present = await PresentAsync(cluster.AppConnectionString, [.. acknowledgedBefore, .. sentAfter, .. inFlight], cancellationToken);
            figures = new Figures(
                backup.Backup.Id,
                backupSeconds,
                restoreSeconds,
                acknowledgedBefore.Length,
                acknowledgedBefore.Count(id => !present.Contains(id)),
                sentAfter.Length,
                sentAfter.Count(present.Contains),
                inFlight.Length,
                inFlight.Count(present.Contains),
                restored.ReachedTarget);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException or IOException)
        {
            await Console.Error.WriteLineAsync($"widgetify: the drill could not run: {ex.Message}");
            return 1;
        }

        Console.Write(figures.Print());
        return figures.Lost == 0 && figures.Extra == 0 ? 0 : DrillCommand.MissedExitCode;
    }

    private static async Task<HashSet<Guid>> PresentAsync(string connectionString, Guid[] ids, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT id FROM widgets WHERE id = ANY($1)", connection) { Parameters = { new() { Value = ids } } };
        HashSet<Guid> present = [];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            present.Add(reader.GetGuid(0));
        }

        return present;
    }

    private sealed record Figures(
        string Backup,
        double BackupSeconds,
        double RestoreSeconds,
        int AcknowledgedBeforeT,
        int Lost,
        int WrittenAfterT,
        int Extra,
        int InFlightAtT,
        int InFlightPresent,
        bool ReachedTarget)
    {
        public string Print()
        {
            var text = new StringBuilder();
            void Line(string name, FormattableString value) => text.Append(name).Append(": ").AppendLine(value.ToString(CultureInfo.InvariantCulture));
            Line("drill", $"restore");
            Line("backup", $"{Backup}");
            Line("backup_s", $"{BackupSeconds:F1}");
            Line("restore_s", $"{RestoreSeconds:F1}");
            Line("acknowledged_before_t", $"{AcknowledgedBeforeT}");
            Line("lost", $"{Lost}");
            Line("written_after_t", $"{WrittenAfterT}");
            Line("extra", $"{Extra}");
            Line("in_flight_at_t", $"{InFlightAtT}");
            Line("in_flight_restored", $"{InFlightPresent}");
            Line("target_reached", $"{(ReachedTarget ? "yes" : "no")}");
            if (Lost > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"goal missed: {Lost} write(s) acknowledged before T are missing after the restore (goal 0)");
            }

            if (Extra > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"goal missed: {Extra} write(s) sent after T are present after the restore (goal 0)");
            }

            return text.ToString();
        }
    }
}
