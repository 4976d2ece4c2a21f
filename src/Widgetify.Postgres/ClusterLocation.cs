using System.Security.Cryptography;
using System.Text;

namespace Widgetify.Postgres;

/// <summary>Where the embedded PostgreSQL of a data folder keeps its files. Usually inside the data folder; but run as
/// root, the server runs as the postgres account, which cannot enter a folder under root's home (mode 0700): rather
/// than fail a newcomer's first <c>./widgetify up</c> in a clone under /root, the cluster then lives under
/// <see cref="FallbackRoot"/>, in a folder named after the data folder, and a pointer file in the data folder says where
/// (so every verb given the same <c>--data-dir</c> finds it). The keys, settings and postmortems stay in the data
/// folder.</summary>
public static class ClusterLocation
{
    /// <summary>Where clusters go when their data folder is closed to the postgres account.</summary>
    public const string FallbackRoot = "/var/lib/widgetify";

    /// <summary>The pointer file's name in the data folder: one line, the cluster's folder.</summary>
    public const string PointerFile = "cluster-location";

    /// <summary>The folder of the cluster already made for <paramref name="dataDirectory"/> (in it, or where its pointer file
    /// says), or null when none was made: for a verb that only works on an existing deployment, which must not create a
    /// folder or a cluster for a mistyped path. Only reads.</summary>
    /// <param name="dataDirectory">The data folder given to the verb.</param>
    public static string? FindExisting(string dataDirectory)
    {
        var full = Path.GetFullPath(dataDirectory);
        var pointer = Path.Combine(full, PointerFile);
        var directory = File.Exists(pointer) && File.ReadAllText(pointer).Trim() is { Length: > 0 } recorded ? recorded : full;
        return new ClusterLayout(directory).IsInitialized ? directory : null;
    }

    /// <summary>The folder the cluster of <paramref name="dataDirectory"/> lives in, and, when it was chosen just now
    /// away from the data folder, why (null otherwise).</summary>
    /// <param name="dataDirectory">The data folder given to the verb.</param>
    /// <param name="runsAsPostgres">Whether the server runs as the postgres account (this process is root).</param>
    public static (string Directory, string? Why) Resolve(string dataDirectory, bool runsAsPostgres)
    {
        var full = Path.GetFullPath(dataDirectory);
        if (OperatingSystem.IsWindows())
        {
            return (full, null); // PostgresCluster refuses Windows anyway
        }

        var pointer = Path.Combine(full, PointerFile);
        if (File.Exists(pointer) && File.ReadAllText(pointer).Trim() is { Length: > 0 } recorded)
        {
            return (recorded, null); // said when it was chosen; up's banner shows it
        }

        // A cluster already in the data folder stays there (it was reachable when it was made).
        if (!runsAsPostgres || Directory.Exists(Path.Combine(full, "pg")) || UnixAccount.FirstClosedAncestor(Path.Combine(full, "pg")) is not { } closed)
        {
            return (full, null);
        }

        var name = Path.GetFileName(full.TrimEnd('/')).TrimStart('.');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12];
        var elsewhere = Path.Combine(FallbackRoot, $"{(name.Length > 0 ? name : "widgetify")}-{hash}");
        Directory.CreateDirectory(FallbackRoot);
        File.SetUnixFileMode(FallbackRoot, (UnixFileMode)0b111_101_101); // 0755: postgres must pass through
        Directory.CreateDirectory(full);
        File.WriteAllText(pointer, elsewhere + "\n");
        return (elsewhere,
            $"the '{ProcessRunner.PostgresUser}' account that runs PostgreSQL cannot enter '{closed}' (no o+x), so its files are in '{elsewhere}' " +
            $"({pointer} records it; delete both to start afresh)");
    }
}
