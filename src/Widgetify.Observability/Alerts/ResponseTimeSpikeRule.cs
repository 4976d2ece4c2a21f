using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Alerts;

/// <summary>ResponseTimeSpike (page): the p99 of every request over the last <see cref="AlertOptions.SpikeWindow"/>
/// exceeds max(<see cref="AlertOptions.SpikeFactor"/> x baseline, <see cref="AlertOptions.SpikeFloorSeconds"/>). The
/// baseline is an exponentially weighted average of the window p99, learned only while the alert is inactive, so a
/// spike never becomes the normal it is compared with. It fires only over at least <see cref="AlertOptions.SpikeMinRequests"/>
/// requests and once the baseline has been learned for <see cref="AlertOptions.SpikeBaselineWarmup"/>; with a warm-up of 0,
/// the floor alone is the threshold until a baseline is learned.</summary>
internal sealed class ResponseTimeSpikeRule(AlertOptions options) : AlertRule("ResponseTimeSpike", AlertSeverity.Page, options.SpikeFor)
{
    private readonly TimeSpan _window = options.SpikeWindow;
    private readonly double _factor = options.SpikeFactor;
    private readonly double _floor = options.SpikeFloorSeconds;
    private readonly int _minRequests = options.SpikeMinRequests;
    private readonly TimeSpan _halfLife = options.BaselineHalfLife;
    private readonly TimeSpan _warmup = options.SpikeBaselineWarmup;
    private TimeSpan _learned; // time spent learning the baseline, for the warm-up

    // Bias-corrected EWMA: the weighted sum and the weight itself both decay, so the first windows average evenly
    // instead of the very first one dominating for a half-life (the start-up bias of a plain EWMA seeded with it).
    private double _weightedSum;
    private double _weight;
    private double? _lastP99; // of the last reading, for Evaluated
    private DateTimeOffset? _lastEvaluation;

    /// <summary>The learned p99, in seconds; null before the first window with enough requests.</summary>
    public double? Baseline => _weight > 0 ? _weightedSum / _weight : null;

    public override RuleReading Read(SignalSpan span)
    {
        var window = span.Last(_window);
        var latency = window.Latency();
        _lastP99 = latency.Count >= _minRequests ? latency.Quantile(0.99) : null;
        if (_lastP99 is not { } p99)
        {
            return new RuleReading(false, Severity,
                $"{latency.Count} request(s) in the last {AlertText.Duration(_window)}, fewer than the {_minRequests} a p99 needs.",
                new Dictionary<string, double>());
        }

        var baseline = Baseline;
        var threshold = baseline is { } b ? Math.Max(_factor * b, _floor) : _floor;
        var values = new Dictionary<string, double>
        {
            ["p99_seconds"] = p99,
            ["threshold_seconds"] = threshold,
            ["floor_seconds"] = _floor,
            ["requests"] = latency.Count,
        };
        string summary;
        if (baseline is { } learned)
        {
            values["baseline_seconds"] = learned;
            summary = $"p99 {AlertText.Seconds(p99)} over {AlertText.Duration(_window)} is {AlertText.Times(p99 / learned)} the " +
                $"{AlertText.Seconds(learned)} baseline (threshold {AlertText.Seconds(threshold)}: {AlertText.Number(_factor)}x baseline, floor {AlertText.Seconds(_floor)}).";
        }
        else
        {
            summary = $"p99 {AlertText.Seconds(p99)} over {AlertText.Duration(_window)} against the {AlertText.Seconds(_floor)} floor (no baseline learned yet).";
        }

        if (_learned < _warmup)
        {
            // No normal to compare with yet (a fresh start: cold caches, first connections): reported, never paged.
            values["baseline_learned_seconds"] = _learned.TotalSeconds;
            return new RuleReading(false, Severity,
                $"{summary} Not judged yet: the baseline has been learned for {AlertText.Duration(_learned)} of the {AlertText.Duration(_warmup)} a page needs.",
                values);
        }

        return new RuleReading(p99 > threshold, Severity, summary, values);
    }

    public override void Evaluated(AlertState state, DateTimeOffset now)
    {
        // Each evaluation weighs by the time since the previous one, not since the last update, so the windows the
        // alert was active for are skipped rather than counted as elapsed decay (a 10-minute spike would otherwise
        // leave the first window after it with 75% of the weight). The cap keeps a stalled loop from wiping history.
        var elapsed = _lastEvaluation is { } last ? now - last : TimeSpan.FromSeconds(1);
        _lastEvaluation = now;
        if (state != AlertState.Inactive || _lastP99 is not { } p99 || elapsed <= TimeSpan.Zero)
        {
            return;
        }

        var step = TimeSpan.FromTicks(Math.Min(elapsed.Ticks, _window.Ticks));
        var decay = Math.Pow(0.5, step / _halfLife);
        _weightedSum = (_weightedSum * decay) + ((1 - decay) * p99);
        _weight = (_weight * decay) + (1 - decay);
        _learned += step;
    }
}
