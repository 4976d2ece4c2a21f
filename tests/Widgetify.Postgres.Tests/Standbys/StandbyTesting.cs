using System.Globalization;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Tests.Standbys;

/// <summary>What the standby tests share: a primary, bounded options, waits and looks at a server's files.</summary>
internal static class StandbyTesting
{
    /// <summary>A throwaway primary (no fsync) in <paramref name="directory"/>, with extra server settings.</summary>
    public static Task<PostgresCluster> StartPrimaryAsync(TempClusterDirectory directory, params (string Name, string Value)[] settings)
    {
        var options = directory.Options();
        foreach (var (name, value) in settings)
        {
            options.Settings[name] = value;
        }

        return PostgresCluster.StartAsync(options);
    }

    /// <summary>Bounds generous for a busy 2-core machine, short enough that a hang fails the run.</summary>
    public static StandbyOptions Bounded() => new()
    {
        BaseBackupTimeout = TimeSpan.FromMinutes(2),
        StartTimeout = TimeSpan.FromSeconds(60),
        StreamingTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Rows written on the primary so far have been replayed by the standby.</summary>
    public static async Task WaitUntilReplayedAsync(PostgresCluster primary, string standbyConnectionString)
    {
        // The insert position, not pg_current_wal_lsn(): with synchronous_commit off (these primaries) the write
        // position can still be short of a commit that has returned.
        var lsn = await Sql.ScalarAsync(primary.AdminConnectionString, "SELECT pg_current_wal_insert_lsn()::text");
        string? replayed = null;
        await BoundedWait.UntilAsync(
            async () =>
            {
                replayed = await Sql.ScalarAsync(standbyConnectionString, "SELECT pg_last_wal_replay_lsn()::text");
                return await Sql.ScalarAsync(standbyConnectionString, $"SELECT (pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn)::text") == "true";
            },
            () => $"replay at {replayed}, primary at {lsn}",
            "the standby replays the primary's writes",
            TimeSpan.FromSeconds(30));
    }

    public static int ReadPostmasterPid(PostgresStandby standby) =>
        int.Parse(File.ReadLines(Path.Combine(standby.DataDirectory, "pg", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
}
