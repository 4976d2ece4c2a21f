using System.Globalization;
using System.Runtime.InteropServices;

namespace Widgetify.Cli.Cluster;

/// <summary>Sends a signal with libc's kill(2). Starting the <c>kill</c> program instead needs procps installed and a
/// process start, both of which can fail exactly when a fleet is being cleaned up after its coordinator died.</summary>
internal static class ProcessSignal
{
    public const int Kill = 9;
    public const int User1 = 10;
    public const int Terminate = 15;

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
