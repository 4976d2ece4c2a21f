using System.Globalization;

namespace Widgetify.Cli.Cluster;

/// <summary><c>&lt;data-dir&gt;/cluster/balancer.pid</c>: "COORDINATOR BALANCER", the pid of the 'cluster up' and of the
/// HAProxy it started, written the moment HAProxy is started (again), before the fleet is up and cluster.json exists.
/// The instances' <see cref="CoordinatorWatch"/> reads it, so an orphaned HAProxy is stopped also when its coordinator
/// died while starting; the coordinator's pid in it keeps the orphans of one 'cluster up' from stopping the HAProxy of
/// the next one on the same data folder.</summary>
internal static class BalancerPidFile
{
    public const string FileName = "balancer.pid";

    public static string PathIn(string clusterFolder) => Path.Combine(clusterFolder, FileName);

    public static void Write(string clusterFolder, int coordinatorPid, int balancerPid)
    {
        var path = PathIn(clusterFolder);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, string.Create(CultureInfo.InvariantCulture, $"{coordinatorPid} {balancerPid}\n"));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The recorded pids; null when there is no file or it does not hold two pids. Other failures to read it
    /// (a folder in its place) are thrown: the caller says so.</summary>
    public static (int Coordinator, int Balancer)? TryRead(string clusterFolder)
    {
        string text;
        try
        {
            text = File.ReadAllText(PathIn(clusterFolder));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var coordinator)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var balancer)
            && coordinator > 0 && balancer > 0
            ? (coordinator, balancer)
            : null;
    }

    public static void Remove(string clusterFolder) => File.Delete(PathIn(clusterFolder));
}
