using Widgetify.Bench.Load;

namespace Widgetify.Bench.Measurement;

/// <summary>
/// Per-second buckets of one open-loop run, preallocated so that recording a completion costs a few
/// interlocked adds and no allocation. Second 0 is the first second after the warm-up; requests due during the
/// warm-up are not recorded.
/// </summary>
internal sealed class LoadRecorder
{
    private const int MaxStatusCode = 600;

    private readonly SecondBucket[] seconds;
    private readonly long[] statusCodes = new long[MaxStatusCode];
    private readonly LatencyHistogram[] dispatchLag;
    private readonly double warmupSeconds;

    public LoadRecorder(int warmupSeconds, int recordedSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(recordedSeconds);
        this.warmupSeconds = warmupSeconds;
        seconds = new SecondBucket[recordedSeconds];
        for (var i = 0; i < seconds.Length; i++)
        {
            seconds[i] = new SecondBucket();
        }

        dispatchLag = new LatencyHistogram[Enum.GetValues<Phase>().Length];
        for (var i = 0; i < dispatchLag.Length; i++)
        {
            dispatchLag[i] = new LatencyHistogram();
        }
    }

    public IReadOnlyList<SecondBucket> Seconds => seconds;

    /// <summary>The bucket of a request due <paramref name="dueSeconds"/> after the run's start (warm-up
    /// included); -1 while warming up.</summary>
    public int SecondOf(double dueSeconds)
    {
        var second = (int)Math.Floor(dueSeconds - warmupSeconds);
        return second < 0 ? -1 : Math.Min(second, seconds.Length - 1);
    }

    /// <summary>The recorded second in which the instant <paramref name="elapsedSeconds"/> after the run's start
    /// falls; -1 during the warm-up and after the last recorded second (unlike <see cref="SecondOf"/>, which clamps).</summary>
    public int RecordedSecondAt(double elapsedSeconds)
    {
        var second = Math.Floor(elapsedSeconds - warmupSeconds);
        return second >= 0 && second < seconds.Length ? (int)second : -1;
    }

    public void Record(double dueSeconds, Outcome outcome, long latencyMicroseconds, bool retryAfter = false, int statusCode = 0)
    {
        var second = SecondOf(dueSeconds);
        if (second < 0)
        {
            return;
        }

        seconds[second].Record(outcome, latencyMicroseconds, retryAfter);
        if (statusCode is > 0 and < MaxStatusCode)
        {
            Interlocked.Increment(ref statusCodes[statusCode]);
        }
    }

    /// <summary>How late the pacing loop sent a request (its own queueing; included in latency anyway).</summary>
    public void RecordDispatchLag(Phase phase, long microseconds)
    {
        if (phase != Phase.Warmup)
        {
            dispatchLag[(int)phase].Record(microseconds);
        }
    }

    public LatencyHistogram DispatchLag(Phase phase) => dispatchLag[(int)phase];

    /// <summary>Responses per HTTP status over the recorded seconds (not-sent, timeouts and connection errors
    /// have no status and are not here).</summary>
    public IReadOnlyDictionary<int, long> StatusCounts()
    {
        var counts = new SortedDictionary<int, long>();
        for (var code = 0; code < statusCodes.Length; code++)
        {
            if (statusCodes[code] > 0)
            {
                counts[code] = statusCodes[code];
            }
        }

        return counts;
    }

    /// <summary>Merges seconds [<paramref name="from"/>, <paramref name="to"/>) into one bucket.</summary>
    public SecondBucket Merge(int from, int to)
    {
        var merged = new SecondBucket();
        for (var i = Math.Max(0, from); i < Math.Min(to, seconds.Length); i++)
        {
            merged.Add(seconds[i]);
        }

        return merged;
    }
}
