using System.Globalization;

namespace Widgetify.Postgres.Backups;

/// <summary>
/// The settings that archive every completed WAL segment into <see cref="BackupLocation.WalDirectory"/>. Passed on the
/// server's command line at every start, so a cluster made before archiving existed archives from its next start on.
/// </summary>
internal static class WalArchive
{
    /// <summary>
    /// A segment that is not full is archived after this long anyway: the recovery point objective (at most this much
    /// committed work is only in <c>pg_wal</c> and not yet in the archive). PostgreSQL pads each forced switch to a whole
    /// 16 MB segment, so shorter costs archive space on an idle server.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <c>archive_mode=on</c> on the primary and on every standby: a standby in <c>on</c> mode archives nothing while it
    /// replays (PostgreSQL marks what it receives as done), and starts archiving into the same folder the moment it is
    /// promoted, timeline history file first, so a failover neither archives twice nor leaves a gap.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Settings(BackupLocation location, bool durable) => new Dictionary<string, string>
    {
        ["archive_mode"] = "on",
        ["archive_command"] = Command(location.WalDirectory, durable),
        ["archive_timeout"] = ((int)Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
    };

    /// <summary>
    /// Copies to a temporary name and renames, so the archive never holds half a segment under its real name; a segment
    /// already archived is accepted only when it is byte for byte the same (PostgreSQL retries a segment whose success it
    /// did not record before a crash) and refused otherwise, so a second cluster pointed at the same folder cannot
    /// overwrite this one's history. The copy is synced before the rename on a durable server.
    /// </summary>
    public static string Command(string walDirectory, bool durable)
    {
        // The server runs this with /bin/sh; '%' is PostgreSQL's escape and must be doubled in the folder name.
        var target = ServerOptionsBuilder.ShellQuote(walDirectory.Replace("%", "%%", StringComparison.Ordinal)) + "/%f";
        var sync = durable ? $" && sync {target}.tmp" : string.Empty;
        return $"test ! -f {target} && cp %p {target}.tmp{sync} && mv {target}.tmp {target} || cmp -s %p {target}";
    }

    /// <summary>The <c>restore_command</c> that reads the same archive back during recovery.</summary>
    public static string RestoreCommand(string walDirectory) =>
        $"cp {ServerOptionsBuilder.ShellQuote(walDirectory.Replace("%", "%%", StringComparison.Ordinal))}/%f %p";
}
