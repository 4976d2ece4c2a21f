namespace Widgetify.Postgres;

/// <summary>Outcome of a finished command.</summary>
internal sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
