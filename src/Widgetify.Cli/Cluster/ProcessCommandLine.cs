using System.Globalization;

namespace Widgetify.Cli.Cluster;

/// <summary>What a process runs, from /proc/PID/cmdline, so that a recorded pid is only signalled while it is still the
/// program it was recorded for. Whole arguments are compared, never substrings: the fleet's HAProxy configuration path
/// itself contains "haproxy", so a substring test matched any process given that path.</summary>
internal static class ProcessCommandLine
{
    /// <summary>The arguments of <paramref name="pid"/> (argv[0] first); null when it is gone, a zombie (whose cmdline
    /// is empty) or not readable.</summary>
    public static IReadOnlyList<string>? Read(int pid)
    {
        try
        {
            var text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/cmdline"));
            return text.Length == 0 ? null : text.TrimEnd('\0').Split('\0');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="arguments"/> are HAProxy's (the program's file name is <c>haproxy</c>) run with
    /// <c>-f <paramref name="config"/></c>, exactly that path.</summary>
    public static bool IsBalancer(IReadOnlyList<string>? arguments, string config) =>
        arguments is { Count: > 0 }
        && Path.GetFileName(arguments[0]) == "haproxy"
        && arguments.Zip(arguments.Skip(1)).Any(pair => pair is ("-f", var value) && value == config);

    /// <summary>Whether <paramref name="pid"/> is HAProxy run with <c>-f <paramref name="config"/></c>.</summary>
    public static bool RunsBalancer(int pid, string config) => IsBalancer(Read(pid), config);

    /// <summary>Every process that is HAProxy run with <c>-f <paramref name="config"/></c>: only a fleet of that data folder
    /// runs one, so these are its balancers, whoever recorded them (or failed to).</summary>
    public static IReadOnlyList<int> FindBalancers(string config)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && RunsBalancer(pid, config))
            {
                found.Add(pid);
            }
        }

        return found;
    }
}
