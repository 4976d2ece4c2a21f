using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;

namespace Widgetify.Testing;

/// <summary>Stand-ins for command-line tools that cannot run here (<c>kubectl</c>, <c>aws</c>): small bash scripts in a
/// temporary folder, put first on PATH, that record every call's arguments and answer with canned output chosen by the
/// first <see cref="FakeAnswer.Match"/> found in the arguments. Tests then assert the exact calls a script made.</summary>
[UnsupportedOSPlatform("windows")] // executable bash scripts
public sealed class FakeCommands : IDisposable
{
    // A hang guard, not a speed assertion: the scripts under test finish in well under a second with fakes.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);
    private const char Separator = '\u001f';

    private readonly string root = Path.Combine(Path.GetTempPath(), "widgetify-fakes-" + Guid.NewGuid().ToString("N")[..12]);

    public FakeCommands() => Directory.CreateDirectory(BinDirectory);

    /// <summary>Put first on PATH by <see cref="Environment"/>.</summary>
    public string BinDirectory => Path.Combine(root, "bin");

    private string LogPath => Path.Combine(root, "calls.log");

    /// <summary>PATH with the fakes first, plus <paramref name="variables"/>: the environment of a script under test.</summary>
    public Dictionary<string, string> Environment(IReadOnlyDictionary<string, string>? variables = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = BinDirectory + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
        };
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Writes the fake <paramref name="name"/>: each call is recorded, then answered by the first answer whose
    /// match is part of its arguments (joined by spaces), or with nothing and exit code 0.</summary>
    public void Add(string name, params FakeAnswer[] answers)
    {
        var script = new StringBuilder()
            .AppendLine("#!/usr/bin/env bash")
            .AppendLine(System.FormattableString.Invariant($"{{ printf '%s' {Quote(name)}; for a in \"$@\"; do printf '\\x1f%s' \"$a\"; done; printf '\\n'; }} >> {Quote(LogPath)}"))
            .AppendLine("case \"$*\" in");
        for (var i = 0; i < answers.Length; i++)
        {
            var answer = answers[i];
            var stdout = Path.Combine(root, $"{name}.{i}.out");
            var stderr = Path.Combine(root, $"{name}.{i}.err");
            File.WriteAllText(stdout, answer.Stdout);
            File.WriteAllText(stderr, answer.Stderr);
            script.AppendLine(System.FormattableString.Invariant(
                $"  *{Quote(answer.Match)}*) cat {Quote(stdout)}; cat {Quote(stderr)} >&2; exit {answer.ExitCode} ;;"));
        }

        script.AppendLine("esac").AppendLine("exit 0");
        var path = Path.Combine(BinDirectory, name);
        File.WriteAllText(path, script.ToString());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Every call of any fake so far, in order: the fake's name, then each argument as it was passed.</summary>
    public IReadOnlyList<string[]> Calls() =>
        File.Exists(LogPath) ? [.. File.ReadAllLines(LogPath).Select(line => line.Split(Separator))] : [];

    /// <summary>A script that runs <paramref name="target"/> with this environment (fakes first on PATH, plus
    /// <paramref name="variables"/>): for code that starts processes with its own environment, such as the command provider.</summary>
    public string Wrap(string target, IReadOnlyDictionary<string, string>? variables = null)
    {
        var script = new StringBuilder().AppendLine("#!/usr/bin/env bash");
        foreach (var (name, value) in Environment(variables))
        {
            script.AppendLine($"export {name}={Quote(value)}");
        }

        script.AppendLine($"exec {Quote(target)} \"$@\"");
        var path = Path.Combine(root, "wrapper-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(path, script.ToString());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Runs <paramref name="executable"/> with <paramref name="stdin"/> and this environment.</summary>
    public Task<ProcessOutcome> RunAsync(string executable, string stdin, IReadOnlyDictionary<string, string>? variables = null)
    {
        var start = new ProcessStartInfo(executable);
        foreach (var (name, value) in Environment(variables))
        {
            start.Environment[name] = value;
        }

        return ChildProcess.RunAsync(start, stdin, Bound);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    /// <summary>Single-quoted for bash: no expansion inside.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>A canned answer of a fake command.</summary>
/// <param name="Match">Chosen when the call's arguments, joined by spaces, contain this.</param>
/// <param name="Stdout">Printed on standard output.</param>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Stderr">Printed on standard error.</param>
public sealed record FakeAnswer(string Match, string Stdout = "", int ExitCode = 0, string Stderr = "");
