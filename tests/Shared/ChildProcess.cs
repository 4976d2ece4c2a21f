using System.Diagnostics;

namespace Widgetify.Testing;

/// <summary>Runs a tool the tests drive (promtool, a deploy script) to its end: its output read while it runs, so a
/// chatty one never blocks on a full pipe, and a bound that only stops a hung one from hanging the test run.</summary>
public static class ChildProcess
{
    /// <summary>Runs <paramref name="start"/> (its redirections are set here), with <paramref name="input"/> on standard
    /// input when not null.</summary>
    /// <exception cref="TimeoutException">It ran past <paramref name="bound"/>; it was killed with its children.</exception>
    public static async Task<ProcessOutcome> RunAsync(ProcessStartInfo start, string? input, TimeSpan bound)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardInput = input is not null;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            try
            {
                await process.StandardInput.WriteAsync(input);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It exited (or closed its input) without reading it all, e.g. a script refusing its settings before it
                // reads its action: a broken pipe, not a failure of the run; its exit code and output say what happened.
            }
        }

        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {bound.TotalMinutes} minutes.");
        }

        return new ProcessOutcome(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>How a child process ended.</summary>
public sealed record ProcessOutcome(int ExitCode, string Stdout, string Stderr);
