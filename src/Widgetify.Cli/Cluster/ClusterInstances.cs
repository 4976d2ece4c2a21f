using System.Globalization;

namespace Widgetify.Cli.Cluster;

/// <summary>How a fleet's instances are named: the name is what the balancer, <c>cluster status</c>, metrics and logs
/// show, and its application name is what the lease table and <c>pg_stat_activity</c> show.</summary>
internal static class ClusterInstances
{
    public const string Backend = "api";

    public static string Name(int index) => string.Create(CultureInfo.InvariantCulture, $"api-{index}");

    public static string ApplicationName(string instanceName) => $"widgetify-{instanceName}";
}
