using System.Globalization;

namespace Widgetify.Postgres;

/// <summary>The parts of PGDATA/postmaster.pid we need: line 1 is the postmaster's pid, line 4 its port.</summary>
internal sealed record PostmasterPidFile(int Pid, int Port)
{
    /// <summary>
    /// Null when the file is missing. A file that cannot be parsed yields pid 0 (never alive), so it is
    /// treated like any other stale file instead of blocking the start.
    /// </summary>
    public static PostmasterPidFile? TryRead(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        return new PostmasterPidFile(ParseLine(lines, 0), ParseLine(lines, 3));
    }

    private static int ParseLine(string[] lines, int index) =>
        lines.Length > index && int.TryParse(lines[index].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : 0;
}
