using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Widgetify.Postgres;
using Widgetify.Postgres.Backups;

namespace Widgetify.Cli;

/// <summary><c>widgetify backup [--keep N]</c>: a base backup of the embedded PostgreSQL (online when <c>up</c> runs; the
/// server is started for it otherwise), with retention; <c>widgetify backup list</c> shows the backups.</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var keep = new Option<int?>("--keep")
        {
            Description = "Keep only the N newest backups, and remove the archived WAL the oldest kept one does not need (default: keep all).",
        };
        keep.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--keep must be 1 or more: a restore needs at least one backup.");
            }
        });

        var listDataDir = CommonOptions.DataDir();
        var format = CommonOptions.TableOrJson();
        var list = new Command("list", "List the base backups, newest first.") { listDataDir, format };
        list.SetAction(parse => List(parse.GetValue(listDataDir)!, parse.GetValue(format)!));

        var command = new Command("backup", "Take a base backup of the embedded PostgreSQL (WAL is archived continuously; see docs/operations.md).")
        {
            dataDir, keep, list,
        };
        command.SetAction((parse, cancellationToken) => BackupAsync(parse.GetValue(dataDir)!, parse.GetValue(keep), cancellationToken));
        return command;
    }

    private static async Task<int> BackupAsync(string dataDir, int? keep, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        // Shares the server of a running 'up' (online backup), or starts it for the backup and stops it after.
        // A backup of a cluster made just now for a mistyped --data-dir would hold nothing: refused instead.
        await using var database = await DatabaseTarget.OpenAsync(null, dataDir, loggerFactory.CreateLogger("widgetify"), cancellationToken, existingOnly: true);
        var cluster = database.Cluster!;
        var result = await ClusterBackups.BackupAsync(cluster, keep, TimeProvider.System, cancellationToken);
        if (result.Warning is { } warning)
        {
            await Console.Error.WriteLineAsync($"widgetify: warning: {warning}");
        }

        var backup = result.Backup;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Backup {backup.Id}: started {backup.StartedAt:u}, finished {backup.FinishedAt:u}, start LSN {backup.StartLsn} (timeline {backup.Timeline}), {Size(backup.SizeBytes)}, in {backup.Folder}"));
        foreach (var removed in result.Removed)
        {
            Console.WriteLine($"Removed backup {removed.Id} (--keep {keep})");
        }

        if (keep is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Removed {result.RemovedWalFiles} archived WAL file(s) older than {ClusterBackups.List(cluster.Backups)[^1].StartWalFile}"));
        }

        return 0;
    }

    private static int List(string dataDir, string format)
    {
        // Reads only: Resolve could make the data folder and its pointer (run as root). The folder, not a cluster: the backups
        // are what a lost cluster is restored from.
        DatabaseTarget.RequireDataDirectory(dataDir);
        var (clusterDirectory, _) = ClusterLocation.Resolve(dataDir, UnixAccount.IsRoot);
        var location = BackupLocation.For(clusterDirectory);
        var backups = ClusterBackups.List(location);
        if (format == "json")
        {
            Console.WriteLine(JsonSerializer.Serialize(backups.ToList(), BackupJsonContext.Default.ListBackupManifest));
            return 0;
        }

        if (backups.Count == 0)
        {
            Console.WriteLine($"No backups in {location.BaseDirectory}. Take one with './widgetify backup'.");
            return 0;
        }

        Console.WriteLine($"{"ID",-20} {"FINISHED (UTC)",-20} {"START LSN",-12} {"TL",3} {"SIZE",9}  FIRST WAL NEEDED");
        foreach (var b in backups)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{b.Id,-20} {b.FinishedAt.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {b.StartLsn,-12} {b.Timeline,3} {Size(b.SizeBytes),9}  {b.StartWalFile}"));
        }

        Console.WriteLine($"WAL archive: {location.WalDirectory}");
        return 0;
    }

    private static string Size(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024.0:F1} MB");
}
