using System.Globalization;

namespace Widgetify.Bench.Processes;

/// <summary>CPU time and parent of a process, from Linux's <c>/proc/&lt;pid&gt;/stat</c> (see proc(5)).</summary>
internal static class ProcStat
{
    /// <summary>Clock ticks per second of the stat file's times (USER_HZ, 100 on every Linux the bench runs on).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>The parent pid and the CPU ticks of one stat line: its own user + system time, and (when
    /// <paramref name="withReapedChildren"/>) its children's it has waited for, so that a PostgreSQL backend that
    /// has exited still counts in its postmaster's time. Null for a line it cannot read.</summary>
    public static (int ParentPid, long Ticks)? Parse(string line, bool withReapedChildren)
    {
        // The command name (field 2) is in parentheses and may hold spaces or parentheses: count from the last ')'.
        var close = line?.LastIndexOf(')') ?? -1;
        if (close < 0)
        {
            return null;
        }

        var fields = line![(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state): field n is fields[n - 3]. 4 ppid, 14 utime, 15 stime, 16 cutime, 17 cstime.
        if (fields.Length < 15
            || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent)
            || !long.TryParse(fields[11], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out var system)
            || !long.TryParse(fields[13], NumberStyles.Integer, CultureInfo.InvariantCulture, out var childUser)
            || !long.TryParse(fields[14], NumberStyles.Integer, CultureInfo.InvariantCulture, out var childSystem))
        {
            return null;
        }

        return (parent, user + system + (withReapedChildren ? childUser + childSystem : 0));
    }

    /// <summary>CPU seconds of <paramref name="pid"/> (reaped children included) plus those of its live direct
    /// children; 0 when it is gone.</summary>
    public static double TreeSeconds(int pid)
    {
        long ticks = 0;
        foreach (var member in WithChildren(pid))
        {
            if (Read(member) is { } line && Parse(line, withReapedChildren: member == pid) is { } stat)
            {
                ticks += stat.Ticks;
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary><paramref name="pid"/> and its live direct children (from <c>/proc/&lt;pid&gt;/task/&lt;pid&gt;/children</c>,
    /// which lists the children of the main thread: every child of a single-threaded postmaster).</summary>
    public static IReadOnlyList<int> WithChildren(int pid)
    {
        var pids = new List<int> { pid };
        var children = ReadFile(FormattableString.Invariant($"/proc/{pid}/task/{pid}/children"));
        foreach (var part in (children ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var child))
            {
                pids.Add(child);
            }
        }

        return pids;
    }

    /// <summary>The parent pid of <paramref name="pid"/>, or null when it is gone.</summary>
    public static int? ParentOf(int pid) => Read(pid) is { } line && Parse(line, false) is { } stat ? stat.ParentPid : null;

    private static string? Read(int pid) => ReadFile(FormattableString.Invariant($"/proc/{pid}/stat"));

    private static string? ReadFile(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the process exited between the listing and the read
        }
    }
}
