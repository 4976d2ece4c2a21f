using System.Diagnostics;
using System.Globalization;

namespace Widgetify.Bench.Processes;

/// <summary>Signals and bounded waits for the processes the bench starts. .NET can only SIGKILL a process;
/// a graceful stop needs SIGTERM, sent with kill(1).</summary>
internal static class ChildProcesses
{
    /// <summary>Sends SIGTERM; false when the process is already gone.</summary>
    public static bool Terminate(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { "-TERM", pid.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        kill.WaitForExit();
        return kill.ExitCode == 0;
    }

    /// <summary>SIGTERM, then SIGKILL of the whole tree if it has not exited within <paramref name="grace"/>.</summary>
    /// <returns>True when it exited on its own after SIGTERM.</returns>
    public static async Task<bool> StopAsync(Process process, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (process.HasExited)
        {
            return true;
        }

        Terminate(process.Id);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return false;
        }
    }
}
