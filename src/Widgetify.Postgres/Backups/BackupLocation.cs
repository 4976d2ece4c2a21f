using System.Runtime.Versioning;

namespace Widgetify.Postgres.Backups;

/// <summary>
/// Where a cluster's backups live: <c>&lt;cluster root&gt;/backups</c> by default, or the folder given to
/// <c>up --backup-dir</c>, which is recorded in the cluster root so that <c>backup</c>, <c>restore</c> and the next
/// <c>up</c> find the same folder without being told again. Inside: <c>wal/</c> (the archived WAL segments) and
/// <c>base/&lt;id&gt;/</c> (one folder per base backup, with its <c>backup.json</c>).
/// </summary>
public sealed class BackupLocation
{
    /// <summary>The file in the cluster root that records a configured backup folder (one line).</summary>
    public const string PointerFile = "backup-location";

    private BackupLocation(string root)
    {
        Root = root;
        WalDirectory = Path.Combine(root, "wal");
        BaseDirectory = Path.Combine(root, "base");
    }

    /// <summary>The backup folder (full path).</summary>
    public string Root { get; }

    /// <summary>The WAL archive: what <c>archive_command</c> writes and <c>restore_command</c> reads.</summary>
    public string WalDirectory { get; }

    /// <summary>One folder per base backup.</summary>
    public string BaseDirectory { get; }

    /// <summary>
    /// The backup folder of the cluster in <paramref name="clusterRoot"/>: <paramref name="configured"/> when given (and
    /// then recorded), else the recorded one, else <c>backups/</c> inside the cluster root.
    /// </summary>
    /// <param name="clusterRoot">The cluster's root folder (the one holding <c>pg/</c>).</param>
    /// <param name="configured">A folder chosen by the operator, or null.</param>
    public static BackupLocation For(string clusterRoot, string? configured = null)
    {
        var root = Path.GetFullPath(clusterRoot);
        var pointer = Path.Combine(root, PointerFile);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var chosen = Path.TrimEndingDirectorySeparator(Path.GetFullPath(configured));
            Directory.CreateDirectory(root);
            File.WriteAllText(pointer, chosen + "\n");
            return new BackupLocation(chosen);
        }

        return File.Exists(pointer) && File.ReadAllText(pointer).Trim() is { Length: > 0 } recorded
            ? new BackupLocation(recorded)
            : new BackupLocation(Path.Combine(root, "backups"));
    }

    /// <summary>Creates the folders; the server (as postgres when we are root) writes into both.</summary>
    [UnsupportedOSPlatform("windows")]
    internal async Task EnsureCreatedAsync(ProcessRunner runner, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(WalDirectory);
        Directory.CreateDirectory(BaseDirectory);
        if (runner.RunServerCommandsAsPostgres)
        {
            UnixAccount.EnsureTraversableByOthers(Root);
            await UnixAccount.ChownToPostgresAsync([Root, WalDirectory, BaseDirectory], cancellationToken);
        }
    }
}
