namespace Widgetify.Postgres;

/// <summary>
/// A server of this machine found from its root folder alone (the primary's, or a standby's under
/// <c>standbys/</c>), for tools outside the process that runs it: a benchmark that kills its postmaster or pauses
/// its replay as a superuser. Only reads the folder; it never starts, adopts or stops anything.
/// </summary>
/// <param name="PostmasterPid">The postmaster's pid, from <c>postmaster.pid</c>, checked to be alive and to serve this folder.</param>
/// <param name="Port">The loopback port it listens on.</param>
/// <param name="AdminConnectionString">The superuser (<c>widgetify_admin</c>) on its <c>postgres</c> database, over the
/// server's Unix socket with peer authentication (no password).</param>
public sealed record RunningServer(int PostmasterPid, int Port, string AdminConnectionString)
{
    /// <summary>The server running for <paramref name="root"/>; null when none runs there (no pid file, or one left by a
    /// server that is gone).</summary>
    /// <param name="root">The server's root folder: the one holding <c>pg/</c> and <c>pg-credentials.json</c>.</param>
    /// <returns>The running server, or null.</returns>
    public static RunningServer? Find(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var layout = new ClusterLayout(root);
        if (PostmasterPidFile.TryRead(layout.PostmasterPidFile) is not { Port: > 0 } pidFile
            || !ProcessInspector.IsPostmasterFor(pidFile.Pid, layout.PgData))
        {
            return null;
        }

        return new RunningServer(pidFile.Pid, pidFile.Port, ClusterDatabase.BuildAdminConnectionString(layout.SocketDirectory, pidFile.Port, "postgres"));
    }

    /// <summary>Records print their members by default; keep the password out of logs and exception messages.</summary>
    /// <returns>The pid and port.</returns>
    public override string ToString() => $"RunningServer {{ PostmasterPid = {PostmasterPid}, Port = {Port} }}";
}
