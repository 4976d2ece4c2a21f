using Widgetify.Bench.Load;

namespace Widgetify.Bench.Measurement;

/// <summary>Everything recorded about the requests due in one second of a run (attributed by due time, not by
/// completion time, so that a request delayed by the storm counts against the second it was meant for).</summary>
internal sealed class SecondBucket
{
    private readonly long[] outcomes = new long[ResponseClassifier.OutcomeCount];
    private long shedWithRetryAfter;

    /// <summary>Latency of successful requests.</summary>
    public LatencyHistogram Success { get; } = new();

    /// <summary>Latency of 503s.</summary>
    public LatencyHistogram Shed { get; } = new();

    /// <summary>Most PostgreSQL client backends seen in this second (-1: not sampled).</summary>
    public int PeakPgConnections { get; set; } = -1;

    public long Count(Outcome outcome) => Volatile.Read(ref outcomes[(int)outcome]);

    /// <summary>All requests due in this second, sent or not.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < outcomes.Length; i++)
            {
                total += Volatile.Read(ref outcomes[i]);
            }

            return total;
        }
    }

    /// <summary>Requests due here that ended in an error (<see cref="ResponseClassifier.IsError"/>: neither success nor 503).</summary>
    public long Errors
    {
        get
        {
            long errors = 0;
            for (var i = 0; i < outcomes.Length; i++)
            {
                if (ResponseClassifier.IsError((Outcome)i))
                {
                    errors += Volatile.Read(ref outcomes[i]);
                }
            }

            return errors;
        }
    }

    /// <summary>503s that carried a Retry-After header.</summary>
    public long ShedWithRetryAfter => Volatile.Read(ref shedWithRetryAfter);

    public void Record(Outcome outcome, long latencyMicroseconds, bool retryAfter)
    {
        Interlocked.Increment(ref outcomes[(int)outcome]);
        switch (outcome)
        {
            case Outcome.Success:
                Success.Record(latencyMicroseconds);
                break;
            case Outcome.Shed:
                Shed.Record(latencyMicroseconds);
                if (retryAfter)
                {
                    Interlocked.Increment(ref shedWithRetryAfter);
                }

                break;
        }
    }

    /// <summary>Adds <paramref name="other"/>'s counts into this bucket (after recording has finished).</summary>
    public void Add(SecondBucket other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < outcomes.Length; i++)
        {
            outcomes[i] += other.outcomes[i];
        }

        shedWithRetryAfter += other.shedWithRetryAfter;
        Success.Add(other.Success);
        Shed.Add(other.Shed);
        PeakPgConnections = Math.Max(PeakPgConnections, other.PeakPgConnections);
    }
}
