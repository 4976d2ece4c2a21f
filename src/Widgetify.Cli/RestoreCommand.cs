using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Widgetify.Postgres;
using Widgetify.Postgres.Backups;

namespace Widgetify.Cli;

/// <summary><c>widgetify restore --to TIME|latest [--backup ID]</c>: point-in-time restore of the embedded PostgreSQL, while
/// <c>up</c> is stopped. The cluster that was there is moved aside, never deleted.</summary>
internal static partial class RestoreCommand
{
    public const int Refused = 2;

    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var to = new Option<string>("--to")
        {
            Description = "Restore every transaction committed up to this time: ISO 8601 ('2026-12-06T16:30:00Z'; no offset means UTC), " +
                "or 'latest' for everything archived.",
            Required = true,
        };
        to.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } value && value != "latest" && ParseTime(value) is null)
            {
                r.AddError($"--to '{value}' is not a time: give an ISO 8601 time such as '2026-12-06T16:30:00Z' (UTC unless an offset is given), or 'latest'.");
            }
        });
        var backup = new Option<string?>("--backup") { Description = "Start from this backup (an ID from './widgetify backup list'); default: the newest before --to." };
        var command = new Command("restore", "Restore the embedded PostgreSQL to a point in time from the base backups and archived WAL ('up' must be stopped).")
        {
            dataDir, to, backup,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(dataDir)!, parse.GetValue(to)!, parse.GetValue(backup), cancellationToken));
        return command;
    }

    /// <summary>An ISO 8601 time, UTC when it names no offset; null when it is not one.</summary>
    internal static DateTimeOffset? ParseTime(string value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;

    private static async Task<int> RunAsync(string dataDir, string to, string? backupId, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        // The backups are in the data folder: a mistyped one has none, and Resolve could make it (run as root).
        DatabaseTarget.RequireDataDirectory(dataDir);
        var (clusterDirectory, _) = ClusterLocation.Resolve(dataDir, UnixAccount.IsRoot);
        RestoreResult result;
        try
        {
            result = await ClusterRestore.RestoreAsync(
                new RestoreOptions { DataDirectory = clusterDirectory, Target = to == "latest" ? null : ParseTime(to), BackupId = backupId },
                loggerFactory.CreateLogger("widgetify"),
                cancellationToken);
        }
        catch (RestoreRefusedException ex)
        {
            await Console.Error.WriteLineAsync($"widgetify: {ex.Message}");
            return Refused;
        }

        Console.WriteLine(Describe(result, dataDir));
        return 0;
    }

    internal static string Describe(RestoreResult result, string dataDir) => string.Create(CultureInfo.InvariantCulture, $"""
        Restored backup {result.Backup.Id} (finished {result.Backup.FinishedAt:u}) {(result.Target is { } t ? $"to {t:yyyy-MM-dd HH:mm:ss.fff}Z" : "to the end of the archived WAL (latest)")}{ShortOfTarget(result)}.
          last replayed transaction  {(result.LastReplayedTransaction is { } last ? $"{last:yyyy-MM-dd HH:mm:ss.fff}Z" : "none after the backup")}
          new timeline               {result.Timeline}
          restore took               {result.Elapsed.TotalSeconds:F1} s
          previous cluster           {result.MovedAsideTo ?? "(none)"}   (kept; delete it once the restore is checked)
        Start the service with './widgetify up --data-dir {dataDir}'; standbys (--replicas N) are made again from the restored primary.
        """);

    /// <summary>A time past the end of the WAL this restore could read is "everything it had", which is the state at that
    /// time only if every commit up to it was archived (or still in this folder's pg_wal): say where the WAL ended rather
    /// than promise the target.</summary>
    private static string ShortOfTarget(RestoreResult result) => result.ReachedTarget || result.Target is null ? "" :
        "; the WAL it could read ends before that time, at the last replayed transaction below, so anything committed " +
        "after that was not restored (WAL reaches the archive when a segment fills or within archive_timeout, 60 s; " +
        "a restore into the cluster's own folder also reads the WAL its pg_wal had not archived yet)";
}
