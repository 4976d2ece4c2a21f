using System.Runtime.Versioning;

namespace Widgetify.Postgres;

/// <summary>Root detection, chown and folder-traversal checks for running the server as the postgres user.</summary>
public static class UnixAccount
{
    /// <summary>
    /// True when this process is root (on Unix, IsPrivilegedProcess is geteuid() == 0), so the server must
    /// run as postgres instead.
    /// </summary>
    public static bool IsRoot { get; } = Environment.IsPrivilegedProcess;

    /// <summary>Gives <paramref name="paths"/> to postgres (and its login group); .NET has no chown API.</summary>
    [UnsupportedOSPlatform("windows")]
    public static async Task ChownToPostgresAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        List<string> arguments = [$"{ProcessRunner.PostgresUser}:", .. paths];
        if (arguments.Count == 1)
        {
            return;
        }

        ProcessRunner.EnsureSuccess(await ProcessRunner.RunAsync("chown", arguments, null, cancellationToken));
    }

    /// <summary>
    /// The postgres user must be able to pass through every folder above PGDATA (search permission, o+x),
    /// or initdb and the server fail with a bare "Permission denied". Say which folder and how to fix it.
    /// </summary>
    [UnsupportedOSPlatform("windows")]
    public static void EnsureTraversableByOthers(string directory)
    {
        if (FirstClosedAncestor(directory) is { } current)
        {
            var mode = File.GetUnixFileMode(current);
            throw new InvalidOperationException(
                $"PostgreSQL runs as the '{ProcessRunner.PostgresUser}' user, which cannot enter '{current}' " +
                $"(mode {Convert.ToString((int)mode, 8)}, no execute permission for others). " +
                $"Fix it with 'chmod o+x {current}', or choose a DataDirectory outside '{current}'.");
        }
    }

    /// <summary>The first folder above <paramref name="directory"/> (nearest first) that others may not enter
    /// (no o+x), which keeps the postgres user out; null when every one lets it through.</summary>
    [UnsupportedOSPlatform("windows")]
    public static string? FirstClosedAncestor(string directory)
    {
        for (var current = Path.GetDirectoryName(Path.GetFullPath(directory)); current is not null; current = Path.GetDirectoryName(current))
        {
            if (Directory.Exists(current) && (File.GetUnixFileMode(current) & UnixFileMode.OtherExecute) == 0)
            {
                return current;
            }
        }

        return null;
    }
}
