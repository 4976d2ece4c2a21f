using System.Globalization;

namespace Widgetify.Postgres;

/// <summary>
/// owner.pid names the process that started the server and will stop it. Other processes (tests, a second
/// CLI command) only use a server whose owner is alive; a dead owner means an orphan server to adopt.
/// </summary>
internal static class OwnerPidFile
{
    public static int? TryRead(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public static void WriteCurrentProcess(string path)
    {
        // Write-then-rename: a reader never sees an empty or partial pid.
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Deletes the file only while it still names this process, so we never erase a newer owner.</summary>
    public static void DeleteIfCurrentProcess(string path)
    {
        if (TryRead(path) == Environment.ProcessId)
        {
            File.Delete(path);
        }
    }
}
