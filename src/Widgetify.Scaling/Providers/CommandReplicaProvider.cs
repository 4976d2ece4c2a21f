using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Widgetify.Scaling.Providers;

/// <summary>Runs the configured executable once per attempt, with the action as JSON on standard input
/// (<see cref="CommandActionDocument"/>). Exit code 0 is success, and standard output may carry the endpoints
/// (<see cref="CommandOutput"/>); any other exit code, a failure to start, or running past the timeout is a failure whose
/// message ends with the last lines of standard error. Retrying is the controller's job, not this class's.</summary>
internal sealed class CommandReplicaProvider : IReplicaProvider
{
    private const int MaxStdoutChars = 64 * 1024;
    private const int StderrLines = 20;
    private const int MaxLineChars = 500;

    private readonly ScalingCommandOptions options;
    private readonly TimeProvider timeProvider;

    /// <summary>Creates the provider for <paramref name="options"/> (validated; <see cref="ScalingCommandOptions.Path"/> set).</summary>
    public CommandReplicaProvider(ScalingCommandOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        this.options = options;
        this.timeProvider = timeProvider;
    }

    public async Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var path = options.Path!;
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return ScalingActionResult.Failure(
                $"Could not start '{path}' (Widgetify:Scaling:Command:Path): {ex.Message}. Check that the file exists and is executable.");
        }

        var startedAt = timeProvider.GetTimestamp();
        var stdout = OutputCapture.HeadAsync(process.StandardOutput, MaxStdoutChars);
        var stderr = OutputCapture.TailAsync(process.StandardError, StderrLines, MaxLineChars);
        using var timeout = new CancellationTokenSource(options.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WriteActionAsync(process, action, linked.Token);
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The whole tree: a script's kubectl or aws child would otherwise go on acting after we gave up on it.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            return ScalingActionResult.Failure(
                $"'{path}' did not finish within {options.Timeout} (Widgetify:Scaling:Command:Timeout) and was killed." +
                Said(await stderr));
        }

        var (output, truncated) = await stdout;
        var errorLines = await stderr;
        var elapsed = timeProvider.GetElapsedTime(startedAt);
        if (process.ExitCode != 0)
        {
            return ScalingActionResult.Failure(
                string.Create(CultureInfo.InvariantCulture, $"'{path}' exited with code {process.ExitCode} after {elapsed.TotalSeconds:0} s.") +
                Said(errorLines));
        }

        var done = string.Create(CultureInfo.InvariantCulture, $"'{path}' succeeded after {elapsed.TotalSeconds:0} s");
        if (string.IsNullOrWhiteSpace(output))
        {
            return ScalingActionResult.Success(done + "; it reported no endpoints.");
        }

        if (truncated || !TryParse(output, out var parsed))
        {
            // The action did happen (exit 0); only the report is unusable, so the router keeps the endpoints it has.
            return ScalingActionResult.Success(
                $"{done}, but its standard output was not the documented JSON ({{\"replicas\":N,\"endpoints\":[{{\"name\":..., " +
                $"\"connectionString\":...}}]}}), so the endpoints are unknown; print progress on standard error. It began: {Excerpt(output)}");
        }

        var endpoints = parsed.Endpoints is { } list ? string.Join(", ", list.Select(e => e.Name)) : "none reported";
        var replicas = parsed.Replicas is { } count ? count.ToString(CultureInfo.InvariantCulture) : "not reported";
        return ScalingActionResult.Success($"{done}; standbys: {replicas}; endpoints: {endpoints}.", parsed.Endpoints, parsed.Replicas);
    }

    private static async Task WriteActionAsync(Process process, ScalingAction action, CancellationToken cancellationToken)
    {
        try
        {
            await JsonSerializer.SerializeAsync(
                process.StandardInput.BaseStream, CommandActionDocument.From(action), CommandJsonContext.Default.CommandActionDocument,
                cancellationToken);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command exited or closed its input without reading it all: its exit code tells whether that was fine.
        }
    }

    private static bool TryParse(string output, out CommandOutput parsed)
    {
        parsed = new CommandOutput(null, null);
        try
        {
            if (JsonSerializer.Deserialize(output, CommandJsonContext.Default.CommandOutput) is not { } value
                || value.Endpoints?.Any(e => string.IsNullOrWhiteSpace(e?.Name) || string.IsNullOrWhiteSpace(e.ConnectionString)) == true
                || value.Replicas < 0)
            {
                return false;
            }

            parsed = value;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Said(IReadOnlyList<string> stderr) =>
        stderr.Count == 0 ? " It wrote nothing on standard error." : " Its standard error ended with:\n" + string.Join('\n', stderr);

    private static string Excerpt(string output) => output.Length > 200 ? output[..200] + "…" : output;
}
