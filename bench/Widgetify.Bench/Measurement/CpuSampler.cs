using System.Diagnostics;
using Widgetify.Bench.Processes;

namespace Widgetify.Bench.Measurement;

/// <summary>CPU seconds used so far by each measured group of processes, at one <see cref="Stopwatch"/> timestamp.</summary>
internal sealed record CpuSample(long Timestamp, IReadOnlyDictionary<string, double> Seconds);

/// <summary>
/// Reads the CPU time of the load generator (this process), the service, PostgreSQL (postmaster, its live children
/// and the ones it has reaped) and PgBouncer from <c>/proc</c> every 200 ms, so that each phase can say how many
/// cores each of them used: on shared cores, what the generator takes the service does not get (issue 15).
/// </summary>
internal sealed class CpuSampler : IAsyncDisposable
{
    public const string Generator = "generator";
    public const string Service = "service";
    public const string Postgres = "postgres";
    public const string PgBouncer = "pgbouncer";

    private readonly IReadOnlyDictionary<string, int> roots;
    private readonly TimeSpan interval;
    private readonly List<CpuSample> samples = [];
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private Task? loop;

    /// <param name="roots">Group name to the pid whose tree is measured.</param>
    /// <param name="interval">Time between samples.</param>
    public CpuSampler(IReadOnlyDictionary<string, int> roots, TimeSpan interval)
    {
        this.roots = roots;
        this.interval = interval;
    }

    public void Start()
    {
        Take();
        loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <summary>Cores each group used between two timestamps (CPU seconds per second of wall time).</summary>
    public IReadOnlyDictionary<string, double> CoresBetween(long fromTimestamp, long toTimestamp)
    {
        Take(); // a fresh sample, so a phase that has just ended is covered
        lock (gate)
        {
            return Usage(samples, fromTimestamp, toTimestamp);
        }
    }

    /// <summary>Cores each group used between <paramref name="fromTimestamp"/> and <paramref name="toTimestamp"/>:
    /// the difference of the samples that bracket the window most tightly from outside (or, at an edge of the
    /// series, from inside) divided by the time between those two samples. Empty without two distinct samples.</summary>
    internal static IReadOnlyDictionary<string, double> Usage(IReadOnlyList<CpuSample> samples, long fromTimestamp, long toTimestamp)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 2)
        {
            return new Dictionary<string, double>();
        }

        var first = samples.LastOrDefault(s => s.Timestamp <= fromTimestamp) ?? samples[0];
        var last = samples.FirstOrDefault(s => s.Timestamp >= toTimestamp) ?? samples[^1];
        var wall = (last.Timestamp - first.Timestamp) / (double)Stopwatch.Frequency;
        if (wall <= 0)
        {
            return new Dictionary<string, double>();
        }

        var usage = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, seconds) in last.Seconds)
        {
            usage[name] = Math.Max(0, seconds - first.Seconds.GetValueOrDefault(name)) / wall;
        }

        return usage;
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                Take();
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private void Take()
    {
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid) in roots)
        {
            seconds[name] = pid == Environment.ProcessId ? Environment.CpuUsage.TotalTime.TotalSeconds : ProcStat.TreeSeconds(pid);
        }

        var sample = new CpuSample(Stopwatch.GetTimestamp(), seconds);
        lock (gate)
        {
            samples.Add(sample);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (loop is not null)
        {
            await loop;
        }

        stop.Dispose();
    }
}
