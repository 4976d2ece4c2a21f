namespace Widgetify.Overload.AdmissionControl;

/// <summary>
/// The adaptive concurrency limit: a gradient control law in the spirit of Netflix's Gradient2 and Envoy's adaptive
/// concurrency filter. Not thread-safe: the <see cref="AdmissionController"/> calls it under its lock.
/// </summary>
/// <remarks>
/// <para><b>Samples.</b> The latency (grant to completion) of each request completed with
/// <see cref="AdmissionOutcome.Succeeded"/>. <see cref="AdmissionOutcome.TimedOut"/> is a drop;
/// <see cref="AdmissionOutcome.Ignored"/> and requests never admitted are neither.</para>
/// <para><b>Windows.</b> A window closes at the first completion (of any outcome) at which at least
/// <see cref="AdmissionOptions.SampleWindow"/> (100 ms) has elapsed since it opened and it holds either
/// <see cref="AdmissionOptions.MinWindowSamples"/> (10) samples or <see cref="AdmissionOptions.TimeoutsForCongestion"/>
/// (2) drops. Drops close a window early in that they need no minimum of samples (a congested service finishes few
/// requests), but not before the window's time is up: a burst of requests timing out together is one congestion
/// event, and backing off once per drop pair would collapse the limit to its minimum in an instant.</para>
/// <para><b>Law, at each window close.</b> Let <c>L</c> be the limit, <c>B</c> the baseline, <c>M</c> the window's mean
/// latency and <c>P</c> its peak in-flight count.</para>
/// <list type="number">
/// <item>Congestion: if drops ≥ TimeoutsForCongestion, <c>L ← L × BackoffRatio</c> (0.9), whatever <c>M</c>. The
/// baseline is untouched: a window with timeouts is not a no-load measurement.</item>
/// <item>Otherwise update the baseline (see below), then <c>target = max(Tolerance × B, B + LatencySlack)</c>
/// (2.0, 1 ms), <c>gradient = clamp(target / M, 0.5, 1.0)</c> and <c>new = L × gradient + √L</c>; the √L term is
/// the queue allowance that lets the limit probe upward while latency stays within target. Then
/// <c>L ← (1 − Smoothing) × L + Smoothing × new</c> (Smoothing 0.2). If the window was app-limited
/// (<c>P &lt; L / 2</c>: demand, not the limit, bounded concurrency) the limit is held as it is: it must not ratchet up
/// in quiet periods, and latency noise at low load (a GC pause, a noisy neighbour) is not congestion the limit causes
/// or cures, so it must not shrink it either; the baseline follows such latency instead.</item>
/// <item>Clamp <c>L</c> to [min(MinLimit, U), U] with <c>U = min(MaxLimit, ceiling)</c>: a ceiling below MinLimit
/// wins. While the ceiling is 0 the law is frozen (no request runs, so no window means anything).</item>
/// </list>
/// <para>With latency persistently above target the gradient bottoms at 0.5, so <c>L ← 0.9 L + 0.2 √L</c>, whose
/// fixed point is <c>L = 4</c>: latency alone shrinks the limit towards 4 (or MinLimit if higher); only timeouts push
/// it lower, down to MinLimit.</para>
/// <para><b>Baseline</b> (no-load latency), learned from live traffic without pinning low: the first window's mean
/// sets it; a window whose mean is lower replaces it at once (a window mean, so one lucky fast request cannot pin it);
/// it rises only from app-limited windows, by <c>B ← B + 0.1 × (M − B)</c>, because only then is the latency not our
/// own queueing. Under sustained overload (limit-bound windows) it does not rise, so sustained high latency keeps
/// reading as congestion. Escape hatch: a baseline measured when the database was idler than it can ever be again
/// would hold the limit at its floor forever, so once 50 consecutive limit-bound windows have had the gradient at its
/// floor (latency at least twice the target however far the limit fell: latency the limit does not cure), every
/// further such window raises the baseline towards its mean by the same 0.1 weight. Timeouts still back off.</para>
/// <para><b>CPU-bound windows.</b> A window that closes while this process saturates its own processors
/// (<see cref="CpuOverload.ThreadPoolLagProbe.IsCpuBound"/>) says nothing about the database: its latency is mostly
/// queueing for a processor, which a lower database limit does not cure (the CPU shed before routing does), and a limit
/// held at its floor then caps the database work to floor ÷ inflated latency, far below what the database can do
/// (measured: the random-widget storm served a quarter of what PgBouncer's pool of the same size served). So the window
/// counts as one at target: the gradient is 1, the limit probes upward by the √L allowance (towards the connection share,
/// which still bounds it) unless the window was app-limited, and the baseline is left alone. Timeouts still back off:
/// those may be the database's.</para>
/// </remarks>
internal sealed class GradientLimit
{
    /// <summary>Consecutive pinned windows after which the baseline may rise from limit-bound windows.</summary>
    internal const int EscapeHatchWindows = 50;

    /// <summary>Weight of a window's mean when the baseline rises (it falls at once).</summary>
    internal const double BaselineRiseWeight = 0.1;

    private const double MinGradient = 0.5;
    private const double MaxGradient = 1.0;

    private readonly TimeProvider _timeProvider;
    private readonly LatencyWindow _window;
    private readonly int _minLimit;
    private readonly int _maxLimit;
    private readonly double _toleranceRatio;
    private readonly double _latencySlackSeconds;
    private readonly TimeSpan _sampleWindow;
    private readonly int _minWindowSamples;
    private readonly double _smoothing;
    private readonly double _backoffRatio;
    private readonly int _timeoutsForCongestion;
    private double _limit;
    private double? _baselineSeconds;
    private double? _lastWindowSeconds;

    /// <param name="options">Validated options; only read here, never kept.</param>
    /// <param name="timeProvider">Clock of the window boundaries.</param>
    public GradientLimit(AdmissionOptions options, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _window = new LatencyWindow(timeProvider);
        _minLimit = options.MinLimit;
        _maxLimit = options.MaxLimit;
        _toleranceRatio = options.Tolerance;
        _latencySlackSeconds = options.LatencySlack.TotalSeconds;
        _sampleWindow = options.SampleWindow;
        _minWindowSamples = options.MinWindowSamples;
        _smoothing = options.Smoothing;
        _backoffRatio = options.BackoffRatio;
        _timeoutsForCongestion = options.TimeoutsForCongestion;
        _limit = Math.Clamp(options.InitialLimit, _minLimit, _maxLimit);
    }

    /// <summary>The limit as the law keeps it (fractional, so small steps accumulate).</summary>
    public double Value => _limit;

    /// <summary>The limit in requests: <c>floor(Value)</c>, at least 1, or 0 while the ceiling is 0.</summary>
    public int Limit => Ceiling == 0 ? 0 : Math.Max(1, (int)Math.Floor(_limit));

    /// <summary>This instance's connection share; <see cref="int.MaxValue"/> until one is set.</summary>
    public int Ceiling { get; private set; } = int.MaxValue;

    /// <summary>The learned no-load latency; null until the first window closes with samples.</summary>
    public TimeSpan? Baseline => _baselineSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary>The mean latency of the last window that closed with samples.</summary>
    public TimeSpan? LastWindowLatency => _lastWindowSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary>Windows closed so far.</summary>
    public long WindowsClosed { get; private set; }

    /// <summary>Windows closed while the process was CPU-bound, whose latency therefore counted as at target.</summary>
    public long WindowsCpuBound { get; private set; }

    /// <summary>Consecutive limit-bound windows whose gradient was at its floor (the escape hatch's counter).</summary>
    public int WindowsPinned { get; private set; }

    /// <summary>Caps the limit at <paramref name="ceiling"/> at once (the limit never exceeds the connections this
    /// instance may use). 0 freezes the law; a later positive ceiling resumes from the frozen value, clamped.</summary>
    public void SetCeiling(int ceiling)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ceiling);
        Ceiling = ceiling;
        if (ceiling > 0)
        {
            _limit = Clamp(_limit);
        }
    }

    /// <summary>Records the in-flight count right after a grant, for the window's peak.</summary>
    public void OnAdmitted(int inFlight) => _window.ObserveInFlight(inFlight);

    /// <summary>Records a completion and closes the window when it is due.</summary>
    /// <param name="outcome">Succeeded is a sample, TimedOut a drop, Ignored neither.</param>
    /// <param name="latency">Grant to completion.</param>
    /// <param name="inFlight">Requests still in flight after this one, carried into the next window's peak.</param>
    /// <param name="cpuBound">Whether this process saturates its processors now: a window closing then counts as at target.</param>
    /// <returns>True when a window closed (the limit may have moved).</returns>
    public bool OnCompleted(AdmissionOutcome outcome, TimeSpan latency, int inFlight, bool cpuBound = false)
    {
        if (outcome == AdmissionOutcome.Succeeded)
        {
            _window.AddSample(latency);
        }
        else if (outcome == AdmissionOutcome.TimedOut)
        {
            _window.AddDrop();
        }

        var now = _timeProvider.GetTimestamp();
        if (_window.Elapsed(now) < _sampleWindow ||
            (_window.Samples < _minWindowSamples && _window.Drops < _timeoutsForCongestion))
        {
            return false;
        }

        CloseWindow(cpuBound);
        _window.Reset(now, inFlight);
        return true;
    }

    private void CloseWindow(bool cpuBound)
    {
        WindowsClosed++;
        if (Ceiling == 0)
        {
            return;
        }

        if (_window.Drops >= _timeoutsForCongestion)
        {
            _limit *= _backoffRatio;
        }
        else if (cpuBound)
        {
            // Latency that is the processors' queue, not the database's: as if at target, so the limit does not starve
            // the database of work it could do (the processors are not this limit's to protect: the CPU shed does that,
            // when it is on). The baseline does not learn from it.
            _lastWindowSeconds = _window.MeanLatencySeconds;
            WindowsCpuBound++;
            if (_window.MaxInFlight >= _limit / 2)
            {
                var proposed = _limit + Math.Sqrt(_limit);
                _limit = ((1 - _smoothing) * _limit) + (_smoothing * proposed);
            }
        }
        else
        {
            var measured = _window.MeanLatencySeconds;
            var appLimited = _window.MaxInFlight < _limit / 2;
            var baseline = UpdateBaseline(measured, appLimited);
            var target = Math.Max(_toleranceRatio * baseline, baseline + _latencySlackSeconds);

            // measured is 0 only under a fake clock; no latency at all is as good as it gets.
            var gradient = measured > 0 ? Math.Clamp(target / measured, MinGradient, MaxGradient) : MaxGradient;
            // App-limited: demand, not the limit, bounded concurrency, so this window says nothing about where the
            // limit should be. It neither grows (no ratcheting up in quiet periods) nor shrinks (a GC pause or a
            // noisy neighbour at low load is not congestion we cause; the baseline follows it instead). The limit
            // learned under load is kept for the next burst.
            if (!appLimited)
            {
                var proposed = (_limit * gradient) + Math.Sqrt(_limit);
                _limit = ((1 - _smoothing) * _limit) + (_smoothing * proposed);
            }

            WindowsPinned = !appLimited && gradient <= MinGradient ? WindowsPinned + 1 : 0;
        }

        _limit = Clamp(_limit);
    }

    private double UpdateBaseline(double measured, bool appLimited)
    {
        _lastWindowSeconds = measured;
        if (_baselineSeconds is not { } baseline || measured < baseline)
        {
            _baselineSeconds = measured;
            return measured;
        }

        if (appLimited || WindowsPinned >= EscapeHatchWindows)
        {
            baseline += BaselineRiseWeight * (measured - baseline);
            _baselineSeconds = baseline;
        }

        return baseline;
    }

    private double Clamp(double limit)
    {
        var upper = Math.Min(_maxLimit, Ceiling);
        return Math.Clamp(limit, Math.Min(_minLimit, upper), upper);
    }
}
