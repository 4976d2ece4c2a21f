namespace Widgetify.Cli.Cluster;

/// <summary>An exclusive advisory lock on a file under <c>&lt;data-dir&gt;/cluster/</c>, held while the returned stream is
/// open. .NET takes <c>flock(LOCK_EX | LOCK_NB)</c> for <see cref="FileShare.None"/> on Linux, so the kernel releases it when
/// the holder exits however it exits (a <c>kill -9</c> leaves no stale lock), unlike a pid written in a file.</summary>
internal static class ClusterLock
{
    public const string CoordinatorFile = "lock";
    public const string RestartFile = "restart.lock";

    /// <summary>The lock, or null when another process holds it.</summary>
    public static FileStream? TryTake(string dataDirectory, string file)
    {
        var folder = ClusterState.Folder(dataDirectory);
        Directory.CreateDirectory(folder);
        try
        {
            return new FileStream(Path.Combine(folder, file), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
