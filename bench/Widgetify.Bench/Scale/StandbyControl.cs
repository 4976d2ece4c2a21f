using System.Diagnostics;
using Npgsql;
using Widgetify.Postgres;

namespace Widgetify.Bench.Scale;

/// <summary>What the bench does to a local standby behind the service's back: kill its postmaster with SIGKILL, or pause
/// and resume its WAL replay as the superuser. The standby is found from its folder, <c>&lt;data-dir&gt;/standbys/&lt;name&gt;</c>,
/// which <c>widgetify up</c>'s local provider made.</summary>
internal static class StandbyControl
{
    /// <summary>The standby <paramref name="name"/> running under <paramref name="dataDirectory"/>.</summary>
    /// <exception cref="InvalidOperationException">No server runs in its folder.</exception>
    public static RunningServer Find(string dataDirectory, string name)
    {
        var folder = Path.Combine(dataDirectory, "standbys", name);
        return RunningServer.Find(folder)
            ?? throw new InvalidOperationException($"No PostgreSQL runs for standby '{name}' in {folder} (no live postmaster.pid there).");
    }

    /// <summary><c>kill -9</c> of the postmaster alone: its backends notice and exit, as after a crash.</summary>
    public static void Kill(RunningServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var postmaster = Process.GetProcessById(server.PostmasterPid);
        postmaster.Kill(entireProcessTree: false);
    }

    public static Task PauseReplayAsync(RunningServer server, CancellationToken cancellationToken) =>
        ExecuteAsync(server, "SELECT pg_wal_replay_pause()", cancellationToken);

    public static Task ResumeReplayAsync(RunningServer server, CancellationToken cancellationToken) =>
        ExecuteAsync(server, "SELECT pg_wal_replay_resume()", cancellationToken);

    private static async Task ExecuteAsync(RunningServer server, string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        // Unpooled: one statement now and then must not leave a connection open on a standby the service is measured on.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
