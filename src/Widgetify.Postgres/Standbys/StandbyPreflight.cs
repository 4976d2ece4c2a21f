using System.Globalization;

namespace Widgetify.Postgres.Standbys;

/// <summary>
/// Decides, before pg_basebackup runs, whether a new standby can be made, and says what is missing: a base backup
/// that fails half-way wastes minutes and leaves a slot behind, and its own errors do not name the setting to change.
/// </summary>
internal static class StandbyPreflight
{
    /// <summary>pg_basebackup -X stream holds two WAL senders while it copies (the copy, and the WAL beside it).</summary>
    public const int WalSendersWhileCopying = 2;

    /// <summary>Room beyond the primary's size: the WAL written while the copy runs, and the standby's own files.</summary>
    public const double DiskHeadroom = 0.10;

    /// <summary>Every reason the standby cannot be made now; empty when it can.</summary>
    /// <param name="primary">The primary's limits and use.</param>
    /// <param name="freeBytes">Free space where the standby's data directory goes.</param>
    /// <param name="directory">That folder, to name it in the message.</param>
    /// <param name="busyPort">The fixed port asked for, when something already listens on it.</param>
    public static IReadOnlyList<string> FindProblems(PrimaryCapacity primary, long freeBytes, string directory, int? busyPort)
    {
        List<string> problems = [];
        if (primary.WalLevel is not ("replica" or "logical"))
        {
            problems.Add(
                $"the primary's wal_level is '{primary.WalLevel}', and streaming needs 'replica': set wal_level = replica on the primary and restart it");
        }

        var freeSenders = primary.MaxWalSenders - primary.WalSendersInUse;
        if (freeSenders < WalSendersWhileCopying)
        {
            problems.Add(
                $"the primary's max_wal_senders is {primary.MaxWalSenders} with {primary.WalSendersInUse} in use, and a new standby needs " +
                $"{WalSendersWhileCopying} free while pg_basebackup copies (1 afterwards): raise max_wal_senders on the primary (it takes a restart) " +
                "or remove a standby");
        }

        if (primary.SlotsInUse >= primary.MaxReplicationSlots)
        {
            problems.Add(
                $"the primary's max_replication_slots is {primary.MaxReplicationSlots} with {primary.SlotsInUse} in use, and each standby needs " +
                "its own slot: raise max_replication_slots on the primary (it takes a restart) or remove a standby");
        }

        var neededBytes = (long)(primary.DataBytes * (1 + DiskHeadroom));
        if (freeBytes < neededBytes)
        {
            problems.Add(
                $"'{directory}' has {Megabytes(freeBytes)} MB free, and a copy of the primary needs about {Megabytes(neededBytes)} MB " +
                $"(its databases and WAL, {Megabytes(primary.DataBytes)} MB, plus {DiskHeadroom:P0}): free disk space or move the data directory");
        }

        if (busyPort is { } port)
        {
            problems.Add($"port {port} on 127.0.0.1 is in use: stop what listens there, or let a free port be picked");
        }

        return problems;
    }

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", CultureInfo.InvariantCulture);
}
