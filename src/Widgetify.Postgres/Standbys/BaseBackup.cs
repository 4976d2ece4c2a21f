using System.Globalization;

namespace Widgetify.Postgres.Standbys;

/// <summary>Copies the running primary into a standby's empty PGDATA with pg_basebackup.</summary>
internal static class BaseBackup
{
    /// <summary>
    /// Runs <c>pg_basebackup -R -C -S slot -X stream</c> as the server user: <c>-C -S</c> creates the standby's slot as
    /// the copy starts, so no WAL it needs is removed in between; <c>-X stream</c> copies the WAL written meanwhile;
    /// <c>-R</c> writes standby.signal and primary_conninfo (with the replication role's password, inside the 0700 PGDATA,
    /// as the standby needs it to reconnect). It logs in as <c>widgetify_replication</c>, which has the REPLICATION
    /// attribute and nothing else: enough to copy the cluster and create its slot over the replication protocol. <c>--checkpoint=fast</c>, because the default spread checkpoint can make
    /// the copy wait minutes before it starts.
    /// </summary>
    public static async Task RunAsync(
        PostgresCluster primary,
        ClusterLayout standby,
        string name,
        string slotName,
        bool durable,
        StandbyOptions options,
        CancellationToken cancellationToken)
    {
        // No password in the arguments, which any user can read with ps: the server user's environment is its own.
        var connection = string.Create(
            CultureInfo.InvariantCulture,
            $"host=127.0.0.1 port={primary.Port} user={ClusterDatabase.ReplicationUser} application_name={name}");
        List<string> arguments =
        [
            "-D", standby.PgData,
            "-d", connection,
            "--write-recovery-conf",
            "--create-slot",
            "--slot", slotName,
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-password",
        ];
        if (!durable)
        {
            arguments.Add("--no-sync");
        }

        using var timeout = new CancellationTokenSource(options.BaseBackupTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        ProcessResult result;
        try
        {
            result = await ProcessRunner.Instance.RunServerCommandAsync(
                primary.Binaries.PgBaseBackup,
                arguments,
                standby.Root,
                new Dictionary<string, string> { ["PGPASSWORD"] = primary.Credentials.ReplicationPassword! },
                linked.Token);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StandbyException(
                name,
                $"pg_basebackup did not copy the primary into '{standby.PgData}' within {options.BaseBackupTimeout}: " +
                $"raise {nameof(StandbyOptions)}.{nameof(StandbyOptions.BaseBackupTimeout)} for a large database, or check the disk.",
                ex);
        }

        if (!result.Succeeded)
        {
            var output = string.IsNullOrWhiteSpace(result.StandardError) ? result.StandardOutput : result.StandardError;
            throw new StandbyException(
                name, $"pg_basebackup could not copy the primary into '{standby.PgData}' (exit code {result.ExitCode}): {output.Trim()}", null);
        }
    }
}
