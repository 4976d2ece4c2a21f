namespace Widgetify.Postgres;

/// <summary>Outcome of a finished command.</summary>
/// <param name="CommandLine">The command as it was run, for error messages.</param>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="StandardOutput">What it printed.</param>
/// <param name="StandardError">What it printed on standard error.</param>
public sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Whether the command exited with code 0.</summary>
    public bool Succeeded => ExitCode == 0;
}
