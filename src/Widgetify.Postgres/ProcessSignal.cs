using System.Globalization;
using System.Runtime.InteropServices;

namespace Widgetify.Postgres;

/// <summary>Sends a signal with libc's kill(2). Starting the <c>kill</c> program instead needs procps installed and a
/// process start, both of which can fail exactly when a fleet is being cleaned up after its coordinator died. Signal
/// numbers are Linux's (x86-64 and arm64).</summary>
public static class ProcessSignal
{
    /// <summary>SIGKILL.</summary>
    public const int Kill = 9;

    /// <summary>SIGUSR1.</summary>
    public const int User1 = 10;

    /// <summary>SIGTERM.</summary>
    public const int Terminate = 15;

    /// <summary>SIGCONT: a process stopped by SIGSTOP runs again, and a stop still pending is discarded.</summary>
    public const int Continue = 18;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>.</summary>
    /// <returns>False when no such process exists (it ended meanwhile).</returns>
    /// <exception cref="IOException">The signal could not be sent (EPERM: the process is not this user's).</exception>
    public static bool Send(int pid, int signal)
    {
        // kill(0, ...) signals this process group and kill(-1, ...) every process the user may signal: never a pid read from a file.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (NativeMethods.Kill(pid, signal) == 0)
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        if (error == NoSuchProcess)
        {
            return false;
        }

        throw new IOException(string.Create(CultureInfo.InvariantCulture, $"kill({pid}, {signal}) failed with errno {error}."));
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Kill(int pid, int signal);
    }
}
