using System.Globalization;
using Widgetify.Bench.Storm;
using Widgetify.Postgres;

namespace Widgetify.Bench.Processes;

/// <summary>The build of the service a benchmark runs: a private copy of it, and which commit it is.</summary>
internal static class ServiceBuild
{
    /// <summary>Copies the service's build output into <paramref name="work"/> and returns the copy's dll, so that the
    /// whole run uses one build even if someone rebuilds src/Widgetify.Cli meanwhile. A missing dll is returned as is,
    /// for the start to report.</summary>
    public static string Snapshot(string serviceDll, string work)
    {
        if (!File.Exists(serviceDll))
        {
            return serviceDll;
        }

        var source = new DirectoryInfo(Path.GetDirectoryName(serviceDll)!);
        var target = Path.Combine(work, "service-bin");
        foreach (var file in source.EnumerateFiles("*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source.FullName, file.FullName));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            file.CopyTo(copy);
        }

        return Path.Combine(target, Path.GetFileName(serviceDll));
    }

    /// <summary>The git commit of the service's sources, and whether src/ had uncommitted changes.</summary>
    public static async Task<string> VersionAsync(string serviceDll, CancellationToken cancellationToken)
    {
        var root = StormCommand.FindRepositoryRoot(Path.GetDirectoryName(serviceDll));
        var built = File.Exists(serviceDll) ? File.GetLastWriteTimeUtc(serviceDll).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "?";
        if (root is null)
        {
            return $"{serviceDll} (built {built})";
        }

        var commit = (await GitAsync(root, ["rev-parse", "--short", "HEAD"], cancellationToken))?.Trim() ?? "unknown commit";
        var changes = (await GitAsync(root, ["status", "--porcelain", "--", "src"], cancellationToken))?.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length ?? 0;
        return changes == 0
            ? $"{commit} (built {built})"
            : string.Create(CultureInfo.InvariantCulture, $"{commit} + uncommitted changes in {changes} paths under src/ (built {built})");
    }

    private static async Task<string?> GitAsync(string root, string[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            var git = await ProcessRunner.RunAsync("git", ["-C", root, .. arguments], workingDirectory: null, cancellationToken);
            return git.Succeeded ? git.StandardOutput : null;
        }
        catch (InvalidOperationException)
        {
            return null; // no git
        }
    }
}
