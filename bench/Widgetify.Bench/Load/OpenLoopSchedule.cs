namespace Widgetify.Bench.Load;

/// <summary>
/// When each request of an open-loop run is due. Request j of a segment starting at S with rate r is due at
/// S + j / r, whatever happened to earlier requests: the arrival process does not slow down when the service
/// does (closed-loop generators do, and so hide the very queueing a storm causes). Pure arithmetic, so the
/// pacing loop can ask "how many are due by now?" in O(segments) without drift from accumulated sleeps.
/// </summary>
internal sealed class OpenLoopSchedule
{
    private readonly LoadSegment[] segments;
    private readonly double[] starts;    // seconds from the run's start
    private readonly long[] firstIndex;  // index of each segment's first request
    private readonly long[] counts;

    public OpenLoopSchedule(IReadOnlyList<LoadSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        this.segments = [.. segments];
        starts = new double[this.segments.Length];
        firstIndex = new long[this.segments.Length];
        counts = new long[this.segments.Length];
        double start = 0;
        long index = 0;
        for (var i = 0; i < this.segments.Length; i++)
        {
            var segment = this.segments[i];
            ArgumentOutOfRangeException.ThrowIfNegative(segment.Seconds, nameof(segments));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segment.RatePerSecond, nameof(segments));
            starts[i] = start;
            firstIndex[i] = index;
            // Due times j / r < duration: j = 0 .. ceil(duration * r) - 1.
            counts[i] = (long)Math.Ceiling(segment.Seconds * segment.RatePerSecond - 1e-9);
            start += segment.Seconds;
            index += counts[i];
        }

        TotalRequests = index;
    }

    /// <summary>Requests scheduled over the whole run.</summary>
    public long TotalRequests { get; }

    public IReadOnlyList<LoadSegment> Segments => segments;

    /// <summary>Seconds from the run's start to the first segment of <paramref name="phase"/>.</summary>
    public double StartOf(Phase phase)
    {
        var index = Array.FindIndex(segments, s => s.Phase == phase);
        return index < 0
            ? throw new ArgumentException($"The schedule has no {phase} segment.", nameof(phase))
            : starts[index];
    }

    /// <summary>How many requests are due at or before <paramref name="elapsedSeconds"/> since the run's start.</summary>
    public long DueBy(double elapsedSeconds)
    {
        if (elapsedSeconds < 0)
        {
            return 0;
        }

        long due = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            var into = elapsedSeconds - starts[i];
            if (into < 0)
            {
                break;
            }

            due += Math.Min(counts[i], (long)Math.Floor(into * segments[i].RatePerSecond) + 1);
        }

        return due;
    }

    /// <summary>When request <paramref name="index"/> is due (seconds from the run's start) and in which segment.</summary>
    public double DueAt(long index, out int segment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, TotalRequests);
        segment = segments.Length - 1;
        while (firstIndex[segment] > index || counts[segment] == 0)
        {
            segment--;
        }

        return starts[segment] + ((index - firstIndex[segment]) / segments[segment].RatePerSecond);
    }
}
