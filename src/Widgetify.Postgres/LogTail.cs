namespace Widgetify.Postgres;

/// <summary>The end of a process's log, for the error that says why the process did not start or stopped.</summary>
public static class LogTail
{
    /// <summary>The last <paramref name="lines"/> lines of <paramref name="logFile"/> (the server's, or another
    /// process's), or a note saying why there are none.</summary>
    public static string Read(string logFile, int lines = 20)
    {
        try
        {
            var all = File.ReadAllLines(logFile);
            return all.Length == 0
                ? "(the log is empty)"
                : string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"(could not read the log: {ex.Message})";
        }
    }
}
