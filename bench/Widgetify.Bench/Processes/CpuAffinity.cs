using System.Diagnostics;
using System.Globalization;

namespace Widgetify.Bench.Processes;

/// <summary>Which cores the load generator gets and which the system under test (service, PostgreSQL, PgBouncer) gets.</summary>
/// <param name="Pinned">False when the processes share every core (pinning off, or one core only).</param>
/// <param name="GeneratorCores">The bench process's cores (taskset list, e.g. "0"); null when not pinned.</param>
/// <param name="ServiceCores">The cores of the service, PostgreSQL and PgBouncer (e.g. "1" or "1-3"); null when not pinned.</param>
/// <param name="Reason">Why it is what it is, for the report.</param>
internal sealed record AffinityPlan(bool Pinned, string? GeneratorCores, string? ServiceCores, string Reason)
{
    /// <summary>Core 0 for the generator, the rest for the system under test, the same for every configuration; no
    /// pinning on one core (then the generator's CPU is measured and shown next to the service's instead) or when
    /// <paramref name="enabled"/> is false.</summary>
    public static AffinityPlan For(int cores, bool enabled)
    {
        if (!enabled)
        {
            return new AffinityPlan(false, null, null, "pinning turned off (--no-pin): generator, service and PostgreSQL share every core; the generator's CPU is measured and reported");
        }

        if (cores < 2)
        {
            return new AffinityPlan(false, null, null, F($"{cores} core: nothing to pin apart; the generator's CPU is measured and reported so it can be subtracted"));
        }

        var service = cores == 2 ? "1" : F($"1-{cores - 1}");
        return new AffinityPlan(true, "0", service, F($"load generator on core 0; service, PostgreSQL and PgBouncer on core{(cores == 2 ? "" : "s")} {service} (taskset), the same for every configuration"));
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Pins processes to cores with taskset (util-linux). <c>-a</c> pins every thread a process already has;
/// threads and children it creates later inherit the affinity (a PostgreSQL backend is a fork of the postmaster).</summary>
internal static class CpuPinning
{
    /// <summary>Pins <paramref name="pid"/> and all its threads to <paramref name="cores"/>.</summary>
    /// <returns>Null when done, else what taskset said.</returns>
    public static string? Pin(int pid, string cores)
    {
        using var taskset = Process.Start(new ProcessStartInfo("taskset")
        {
            ArgumentList = { "-a", "-c", "-p", cores, pid.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var error = taskset.StandardError.ReadToEnd();
        taskset.StandardOutput.ReadToEnd();
        taskset.WaitForExit();
        return taskset.ExitCode == 0 ? null : $"taskset -a -c -p {cores} {pid} exited with {taskset.ExitCode}: {error.Trim()}";
    }

    /// <summary>Pins <paramref name="pid"/> and its direct children (PostgreSQL's postmaster and its background processes).</summary>
    public static IReadOnlyList<string> PinTree(int pid, string cores)
    {
        var failures = new List<string>();
        foreach (var member in ProcStat.WithChildren(pid))
        {
            if (Pin(member, cores) is { } failure)
            {
                failures.Add(failure);
            }
        }

        return failures;
    }
}
