using System.Runtime.Versioning;

namespace Widgetify.Postgres;

/// <summary>
/// Who may log in, and how: pg_hba.conf and pg_ident.conf, written before every start of a server (primary or standby),
/// so a cluster made by an older version, whose superuser logged in with a password over TCP, is converted by its next
/// start. The superuser logs in only over the Unix socket (also for replication connections: a local base backup), as the OS account that runs the server, as root or as the
/// user who runs Widgetify (peer authentication mapped by <see cref="IdentMap"/>): no password of it exists to leak.
/// Over loopback TCP, the replication role may only stream and every other role needs its SCRAM password.
/// </summary>
internal static class ClusterAccess
{
    public const string IdentMap = "widgetify_local";

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The rules, first match wins: a superuser or replication login over TCP is rejected before the catch-all line.</summary>
    internal static string HbaConf { get; } = $"""
        # Written by Widgetify before every start (ClusterAccess): edits here are replaced.
        # TYPE  DATABASE     USER                        ADDRESS        METHOD
        local   all          {ClusterDatabase.AdminUser}                             peer map={IdentMap}
        local   replication  {ClusterDatabase.AdminUser}                             peer map={IdentMap}
        host    replication  {ClusterDatabase.ReplicationUser}   127.0.0.1/32   scram-sha-256
        host    all          {ClusterDatabase.AdminUser}             127.0.0.1/32   reject
        host    all          {ClusterDatabase.ReplicationUser}   127.0.0.1/32   reject
        host    all          all                         127.0.0.1/32   scram-sha-256

        """;

    /// <summary>The OS accounts that may log in as the superuser over the socket: root (Widgetify's verbs run as root on
    /// servers), the account that runs the server (it owns PGDATA anyway) and the user running this process.</summary>
    internal static string IdentConf(string currentUser) =>
        string.Join(
            '\n',
            new[] { "root", ProcessRunner.PostgresUser, currentUser }.Distinct(StringComparer.Ordinal)
                .Select(user => $"{IdentMap}  {user}  {ClusterDatabase.AdminUser}")
                .Prepend("# Written by Widgetify before every start (ClusterAccess): edits here are replaced.")) + "\n";

    /// <summary>Creates the socket folder (0700, the server user's) and writes both files when they differ.</summary>
    public static async Task PrepareAsync(ClusterLayout layout, ProcessRunner runner, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // PostgresCluster refuses Windows before any server is started
        }

        Directory.CreateDirectory(layout.SocketDirectory, OwnerOnlyDirectory);
        File.SetUnixFileMode(layout.SocketDirectory, OwnerOnlyDirectory);
        if (runner.RunServerCommandsAsPostgres)
        {
            await UnixAccount.ChownToPostgresAsync([layout.SocketDirectory], cancellationToken);
        }

        RemoveStaleSocketLocks(layout);

        // The PGDATA of a cluster is 0700 (initdb's, pg_basebackup's); a wider one the server refuses, so check it here
        // where the cause can be named rather than in the server log.
        EnsureOwnerOnly(layout.PgData);
        await WriteIfChangedAsync(layout.HbaFile, HbaConf, runner, cancellationToken);
        await WriteIfChangedAsync(layout.IdentFile, IdentConf(Environment.UserName), runner, cancellationToken);
    }

    /// <summary>
    /// A killed postmaster leaves its socket's lock file behind, naming its pid. PostgreSQL takes a pid that still answers
    /// kill(0) for a live server, and a killed one that nobody reaped (a zombie, when the container's init does not reap)
    /// does: the restart after kill -9, or the promoted standby started in a lost primary's place, would be refused. Only
    /// called before a start, under the start lock; a lock of a postmaster that serves this PGDATA is left alone.
    /// </summary>
    private static void RemoveStaleSocketLocks(ClusterLayout layout)
    {
        foreach (var lockFile in Directory.EnumerateFiles(layout.SocketDirectory, ".s.PGSQL.*.lock"))
        {
            var firstLine = File.ReadLines(lockFile).FirstOrDefault();
            if (!int.TryParse(firstLine, out var pid) || !ProcessInspector.IsPostmasterFor(pid, layout.PgData))
            {
                File.Delete(lockFile);
                File.Delete(lockFile[..^".lock".Length]);
            }
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static void EnsureOwnerOnly(string pgData)
    {
        var mode = File.GetUnixFileMode(pgData);
        if ((mode & ~OwnerOnlyDirectory) != 0)
        {
            File.SetUnixFileMode(pgData, mode & OwnerOnlyDirectory);
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static async Task WriteIfChangedAsync(string path, string text, ProcessRunner runner, CancellationToken cancellationToken)
    {
        if (!File.Exists(path) || await File.ReadAllTextAsync(path, cancellationToken) != text)
        {
            await ServerUserFile.WriteAsync(path, text, runner, cancellationToken);
        }
    }
}
