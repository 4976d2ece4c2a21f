using System.Diagnostics;

namespace Widgetify.Testing;

/// <summary>The real <c>promtool</c> (Debian package <c>prometheus</c>, installed by <c>./widgetify test</c>), run from the
/// repository root so its output names files as the repository does. Tests that need it fail, never skip, when it is
/// missing.</summary>
public static class Promtool
{
    // A hang guard, not a speed assertion: the slowest run (the Feb 15 replay) takes about a second.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    /// <summary>Runs promtool with <paramref name="args"/>.</summary>
    public static Task<PromtoolResult> RunAsync(params string[] args) => RunAsync(input: null, args);

    /// <summary>Runs <c>promtool check metrics</c> on <paramref name="exposition"/> (stdin): exit 0 means valid and lint-clean.</summary>
    public static Task<PromtoolResult> CheckMetricsAsync(string exposition) => RunAsync(exposition, "check", "metrics");

    private static async Task<PromtoolResult> RunAsync(string? input, params string[] args)
    {
        var start = new ProcessStartInfo(Locate()) { WorkingDirectory = Repository.Root };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var run = await ChildProcess.RunAsync(start, input, Bound);
        return new PromtoolResult($"promtool {string.Join(' ', args)}", run.ExitCode, run.Stdout + run.Stderr);
    }

    private static string Locate()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "promtool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "promtool was not found on PATH, so the metrics exposition, the Prometheus rules, their unit tests and the "
            + "example config cannot be checked. Install it with 'apt-get install prometheus' (Debian/Ubuntu; "
            + "'./widgetify test' installs it) or put a promtool 2.x from https://prometheus.io/download on PATH.");
    }
}

/// <summary>What a promtool run said.</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">0 when the check or the tests passed.</param>
/// <param name="Output">Standard output then standard error.</param>
public sealed record PromtoolResult(string Command, int ExitCode, string Output)
{
    /// <summary>Fails with promtool's own output when it did not exit 0.</summary>
    public void ShouldSucceed() =>
        ExitCode.ShouldBe(0, $"{Command} exited {ExitCode}:\n{Output}");
}
