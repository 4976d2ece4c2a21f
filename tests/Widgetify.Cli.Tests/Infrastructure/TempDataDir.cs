using System.Diagnostics;

namespace Widgetify.Cli.Tests.Infrastructure;

/// <summary>A fresh --data-dir. On dispose, any PostgreSQL still running from it is stopped and it is deleted.</summary>
public sealed class TempDataDir : IDisposable
{
    public TempDataDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "widgetify-cli-" + Guid.NewGuid().ToString("N")[..12]);

    public string PostmasterPidFile => System.IO.Path.Combine(Path, "pg", "postmaster.pid");

    /// <summary>The postmaster's pid, or null when no server runs for this data dir.</summary>
    public int? RunningPostmasterPid()
    {
        if (!File.Exists(PostmasterPidFile))
        {
            return null;
        }

        var pid = int.Parse(File.ReadLines(PostmasterPidFile).First(), System.Globalization.CultureInfo.InvariantCulture);
        return Directory.Exists($"/proc/{pid}") ? pid : null;
    }

    public void Dispose()
    {
        if (RunningPostmasterPid() is { } pid)
        {
            using var kill = Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
