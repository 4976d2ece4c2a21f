using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Widgetify.Postgres;

/// <summary>
/// Runs a command to completion and captures its output. PostgreSQL refuses to run as root, so server
/// commands go through <c>runuser -u postgres --</c> when this process is privileged.
/// </summary>
public sealed class ProcessRunner
{
    /// <summary>The OS account PostgreSQL runs as when this process is root.</summary>
    public const string PostgresUser = "postgres";

    private static readonly IReadOnlyDictionary<string, string> NoVariables = new Dictionary<string, string>();

    /// <summary>The runner for this process: server commands as <see cref="PostgresUser"/> when it is root.</summary>
    public static ProcessRunner Instance { get; } = new(UnixAccount.IsRoot);

    /// <summary>A runner that wraps server commands in <c>runuser</c> when <paramref name="runServerCommandsAsPostgres"/>.</summary>
    public ProcessRunner(bool runServerCommandsAsPostgres)
    {
        RunServerCommandsAsPostgres = runServerCommandsAsPostgres;
    }

    /// <summary>True when server commands are wrapped in runuser and written folders are chowned to postgres.</summary>
    public bool RunServerCommandsAsPostgres { get; }

    /// <summary>Runs a server command (initdb, pg_ctl) as the user that may run PostgreSQL.</summary>
    public Task<ProcessResult> RunServerCommandAsync(
        string fileName, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancellationToken) =>
        RunServerCommandAsync(fileName, arguments, workingDirectory, NoVariables, cancellationToken);

    /// <summary>
    /// Runs a server command (pg_basebackup) with extra environment variables, such as <c>PGPASSWORD</c>: unlike
    /// arguments, other users cannot read them through <c>ps</c>. <c>runuser</c> passes them on.
    /// </summary>
    public Task<ProcessResult> RunServerCommandAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        string? workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken)
    {
        if (!RunServerCommandsAsPostgres)
        {
            return RunAsync(fileName, arguments, workingDirectory, environment, cancellationToken);
        }

        List<string> wrapped = ["-u", PostgresUser, "--", fileName, .. arguments];
        return RunAsync("runuser", wrapped, workingDirectory, environment, cancellationToken);
    }

    /// <summary>Runs a command; never throws for a non-zero exit code (see <see cref="EnsureSuccess"/>).</summary>
    public static Task<ProcessResult> RunAsync(
        string fileName, IReadOnlyList<string> arguments, string? workingDirectory, CancellationToken cancellationToken) =>
        RunAsync(fileName, arguments, workingDirectory, NoVariables, cancellationToken);

    private static async Task<ProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        string? workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // A cwd the postgres user cannot enter makes initdb and pg_ctl print warnings or fail.
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        var commandLine = FormatCommandLine(fileName, arguments);
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not run '{commandLine}': {ex.Message}. Is it installed and on PATH?", ex);
        }

        // Nothing we run reads stdin; closing it stops a prompt (e.g. for a password) from hanging forever.
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited between the cancellation and the kill: nothing left to stop.
            }

            throw;
        }

        return new ProcessResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Throws with the command line, exit code and stderr when the command failed.</summary>
    public static ProcessResult EnsureSuccess(ProcessResult result)
    {
        if (result.Succeeded)
        {
            return result;
        }

        var output = string.IsNullOrWhiteSpace(result.StandardError) ? result.StandardOutput : result.StandardError;
        throw new InvalidOperationException(
            $"Command '{result.CommandLine}' failed with exit code {result.ExitCode}: {output.Trim()}");
    }

    private static string FormatCommandLine(string fileName, IReadOnlyList<string> arguments)
    {
        var builder = new StringBuilder(fileName);
        foreach (var argument in arguments)
        {
            builder.Append(' ');
            builder.Append(argument.Length == 0 || argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\"" : argument);
        }

        return builder.ToString();
    }
}
