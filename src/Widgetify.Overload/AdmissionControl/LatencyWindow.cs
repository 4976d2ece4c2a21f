namespace Widgetify.Overload.AdmissionControl;

/// <summary>What one aggregation window of the <see cref="GradientLimit"/> has seen: the latency samples of requests
/// that succeeded, the drops (timeouts), and the most requests in flight at once. Aggregating per window rather than
/// per request keeps one fast or slow outlier from moving the limit.</summary>
internal sealed class LatencyWindow
{
    private readonly TimeProvider _timeProvider;
    private long _startTimestamp;
    private double _latencySumSeconds;

    public LatencyWindow(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _startTimestamp = timeProvider.GetTimestamp();
    }

    /// <summary>Latency samples (completions with <see cref="AdmissionOutcome.Succeeded"/>).</summary>
    public int Samples { get; private set; }

    /// <summary>Completions with <see cref="AdmissionOutcome.TimedOut"/>.</summary>
    public int Drops { get; private set; }

    /// <summary>Most requests in flight at once during the window, including those carried over from the last one.</summary>
    public int MaxInFlight { get; private set; }

    /// <summary>Mean latency of the samples, in seconds; 0 without samples.</summary>
    public double MeanLatencySeconds => Samples == 0 ? 0 : _latencySumSeconds / Samples;

    public TimeSpan Elapsed(long timestamp) => _timeProvider.GetElapsedTime(_startTimestamp, timestamp);

    public void ObserveInFlight(int inFlight) => MaxInFlight = Math.Max(MaxInFlight, inFlight);

    public void AddSample(TimeSpan latency)
    {
        Samples++;
        _latencySumSeconds += latency.TotalSeconds;
    }

    public void AddDrop() => Drops++;

    /// <summary>Starts the next window. Requests still in flight belong to it too, so its peak starts at their count.</summary>
    public void Reset(long timestamp, int inFlight)
    {
        _startTimestamp = timestamp;
        _latencySumSeconds = 0;
        Samples = 0;
        Drops = 0;
        MaxInFlight = inFlight;
    }
}
