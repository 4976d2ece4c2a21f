using System.Globalization;

namespace Widgetify.Postgres.Backups;

/// <summary>
/// The one place backups and restores say how they log in: pg_basebackup as the REPLICATION role (what streaming a base
/// backup needs, and no more), the administration queries (archiver status, recovery progress) as the superuser over the
/// cluster's Unix socket with peer authentication, which has no password (docs/database-roles.md).
/// </summary>
internal static class BackupConnection
{
    /// <summary>pg_basebackup's <c>-d</c> and environment: the password goes in the environment, which <c>ps</c> does not show.</summary>
    public static (string ConnInfo, IReadOnlyDictionary<string, string> Environment) ForBaseBackup(PostgresCluster cluster, string applicationName) =>
        (string.Create(CultureInfo.InvariantCulture, $"host=127.0.0.1 port={cluster.Port} user={ClusterDatabase.ReplicationUser} application_name={applicationName}"),
            new Dictionary<string, string>
            {
                ["PGPASSWORD"] = cluster.Credentials.ReplicationPassword
                    ?? throw new InvalidOperationException("The cluster has no replication password yet: start it once with 'up' (which creates the role), then back up."),
            });

    /// <summary>For queries on the cluster's server (pg_stat_archiver, SHOW archive_mode).</summary>
    public static string Administration(PostgresCluster cluster) => ClusterDatabase.Unpooled(cluster.AdminConnectionString);

    /// <summary>For the server a restore starts on <paramref name="port"/> from the cluster's own files (its socket is in
    /// the cluster's folder, like the running server's).</summary>
    public static string Administration(ClusterLayout layout, int port) =>
        ClusterDatabase.Unpooled(ClusterDatabase.BuildAdminConnectionString(layout.SocketDirectory, port, "postgres"));
}
