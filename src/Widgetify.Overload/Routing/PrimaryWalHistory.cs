using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>The primary's WAL insert position as sampled over the last few minutes, oldest first: it tells when the
/// WAL a standby has not replayed yet was written, which is what lag in time means. Thread-safe.</summary>
internal sealed class PrimaryWalHistory
{
    private readonly Lock gate = new();
    private readonly (DateTimeOffset At, NpgsqlLogSequenceNumber Position)[] samples;
    private int start;
    private int count;

    /// <param name="capacity">Samples kept; with a 500 ms poll, 1,200 cover 10 minutes, far more than any lag that
    /// still matters (beyond it the lag reads as "at least the history's span").</param>
    public PrimaryWalHistory(int capacity = 1_200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        samples = new (DateTimeOffset, NpgsqlLogSequenceNumber)[capacity];
    }

    /// <summary>The newest sample, if any.</summary>
    public (DateTimeOffset At, NpgsqlLogSequenceNumber Position)? Latest
    {
        get
        {
            lock (gate)
            {
                return count == 0 ? null : samples[(start + count - 1) % samples.Length];
            }
        }
    }

    /// <summary>Adds a sample; one older than the newest (a clock step) is dropped.</summary>
    public void Add(DateTimeOffset at, NpgsqlLogSequenceNumber position)
    {
        lock (gate)
        {
            if (count > 0 && samples[(start + count - 1) % samples.Length].At > at)
            {
                return;
            }

            if (count == samples.Length)
            {
                start = (start + 1) % samples.Length;
                count--;
            }

            samples[(start + count) % samples.Length] = (at, position);
            count++;
        }
    }

    /// <summary>When the primary was first seen past <paramref name="replayed"/>: the unreplayed WAL is at least
    /// that old. Null when no sample is past it (nothing unreplayed that this history saw); the oldest sample's time,
    /// with <c>BeforeHistory</c> true, when even that one is past it (the WAL may be older than the history).</summary>
    public (DateTimeOffset At, bool BeforeHistory)? FirstSeenBeyond(NpgsqlLogSequenceNumber replayed)
    {
        lock (gate)
        {
            // Positions only grow, so the first sample past the replay position is found by bisection.
            int low = 0, high = count;
            while (low < high)
            {
                var middle = (low + high) / 2;
                if (samples[(start + middle) % samples.Length].Position > replayed)
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            return low == count ? null : (samples[(start + low) % samples.Length].At, low == 0);
        }
    }
}
