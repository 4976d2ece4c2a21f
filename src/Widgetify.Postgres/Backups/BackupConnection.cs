using System.Globalization;

namespace Widgetify.Postgres.Backups;

/// <summary>
/// The one place backups and restores say how they log in: pg_basebackup's replication connection and the
/// administration queries (archiver status, recovery progress). Today both use the cluster's superuser; a narrower
/// REPLICATION role (or peer authentication over the Unix socket) is a change to this file alone.
/// </summary>
internal static class BackupConnection
{
    /// <summary>pg_basebackup's <c>-d</c> and environment: the password goes in the environment, which <c>ps</c> does not show.</summary>
    public static (string ConnInfo, IReadOnlyDictionary<string, string> Environment) ForBaseBackup(PostgresCluster cluster, string applicationName) =>
        (string.Create(CultureInfo.InvariantCulture, $"host=127.0.0.1 port={cluster.Port} user={ClusterDatabase.AdminUser} application_name={applicationName}"),
            new Dictionary<string, string> { ["PGPASSWORD"] = cluster.Credentials.AdminPassword });

    /// <summary>For queries on the cluster's server (pg_stat_archiver, SHOW archive_mode).</summary>
    public static string Administration(PostgresCluster cluster) => ClusterDatabase.Unpooled(cluster.AdminConnectionString);

    /// <summary>For the server a restore starts on <paramref name="port"/> from the cluster's own files.</summary>
    public static string Administration(ClusterCredentials credentials, int port) =>
        ClusterDatabase.Unpooled(ClusterDatabase.BuildConnectionString(port, ClusterDatabase.AdminUser, credentials.AdminPassword, "postgres"));
}
