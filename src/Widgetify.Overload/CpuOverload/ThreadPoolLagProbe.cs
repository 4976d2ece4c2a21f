using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.CpuOverload;

/// <summary>How long work waits for a thread-pool thread, probed every <see cref="AdmissionOptions.CpuLagProbeInterval"/>,
/// and what share of the governed requests to shed for it: the CPU half of overload, which the database's concurrency
/// limit cannot see apart from the database's own latency.</summary>
/// <remarks>
/// <para><b>Why a separate signal.</b> When the process's processors are saturated (a storm of cached embeds, or the
/// sheds of one), every step of every request (reading it, each database reply, writing the answer) queues behind all
/// other runnable work. The requests admission lets in then take long, the gradient limit reads that latency as a
/// database in trouble and falls to its floor, and the sheds that follow take more of the processors the served requests
/// needed (measured: docs/benchmarks.md, the mixed storm). Lowering the database's limit does not cure a CPU that is
/// full. So the limit asks <see cref="IsCpuBound"/> and counts such windows as at target; and, when
/// <see cref="AdmissionOptions.CpuShed"/> is on (off by default: in open-loop storms the sheds cost more processor than
/// they saved, docs/overload.md 2.7a), the pre-routing shed refuses a share at the door (<see cref="ShedFraction"/>).</para>
/// <para><b>Probe.</b> At each tick a work item goes onto the thread pool's global queue, where the server's new
/// connections and requests go too, and the time until it runs is one sample. One probe is out at a time: a tick that
/// finds the last one still queued adds none. Samples are smoothed (exponential, weight
/// <see cref="SmoothingWeight"/>), so one long GC pause is damped, a sustained backlog is not.</para>
/// <para><b>Shed share</b>, as in toobusy (Node.js, Lloyd Hilaiel): 0 at or below the target, rising in a straight line
/// to <see cref="MaxShedFraction"/> at twice the target, for reads; writes start at twice the target (a write refused
/// costs its client more than a read). Never every request: a few still go through, so a wrong signal cannot turn into
/// a full outage. Hand-written: no .NET library sheds on thread-pool delay.</para>
/// <para><b>Only when the processors are ours.</b> Work also waits for a thread when other processes take the machine
/// (a build, a backup, a neighbour): refusing our requests then frees nothing that matters and only fails them. So
/// nothing is shed unless this process itself uses at least <see cref="MinProcessCpuShare"/> of the processors it may
/// run on (<see cref="Environment.ProcessorCount"/>, which follows affinity and container limits), measured over
/// <see cref="CpuSampleInterval"/>. <see cref="IsCpuBound"/> asks the same: when another process (PostgreSQL on the same
/// machine included) takes the processors, the latency may well be the database's, and the limit must be free to fall.</para>
/// <para><b>A burst.</b> While the one probe out waits, its wait so far is a lower bound of the lag: readers take the
/// larger of it and the smoothed lag, so a sudden backlog is seen before the probe comes back.</para>
/// <para><b>Quiet.</b> While this process uses less than <see cref="QuietCpuShare"/> of its processors, nothing reads the
/// lag (both <see cref="IsCpuBound"/> and <see cref="ShedFraction"/> need <see cref="MinProcessCpuShare"/>), so the ticks
/// slow to one per <see cref="CpuSampleInterval"/>, the pace of the processor share that decides it. At 100 ticks a
/// second an idle instance spent about 4% of a core on the probe and the thread-pool spinning each tick wakes
/// (docs/benchmarks.md, "An idle instance, and thread-pool spinning"). The first sample at or above the quiet share restores the full pace: the
/// share cannot pass from below the quiet share to <see cref="MinProcessCpuShare"/> without such a sample, and a backlog that
/// builds meanwhile is seen through the probe still out (above).</para>
/// </remarks>
internal sealed class ThreadPoolLagProbe : IDisposable
{
    /// <summary>Weight of each new sample in the smoothed lag.</summary>
    internal const double SmoothingWeight = 0.25;

    /// <summary>The largest share of governed requests ever shed for CPU.</summary>
    internal const double MaxShedFraction = 0.95;

    /// <summary>The share of its processors this process must use itself before anything is shed for CPU.</summary>
    internal const double MinProcessCpuShare = 0.5;

    /// <summary>Below this share of its processors the process is quiet and the probe ticks once per
    /// <see cref="CpuSampleInterval"/> (remarks).</summary>
    internal const double QuietCpuShare = MinProcessCpuShare / 2;

    /// <summary>How often this process's own processor use is measured.</summary>
    internal static readonly TimeSpan CpuSampleInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How much sooner than <see cref="CpuSampleInterval"/> after the last sample a tick may take the next one.</summary>
    private static readonly TimeSpan SampleSlack = TimeSpan.FromMilliseconds(5);

    // _probeOut: no probe out; one being queued (its time not yet written); one queued at _probeQueuedAt.
    private const int ProbeNone = 0;
    private const int ProbeStarting = 1;
    private const int ProbeOut = 2;

    private readonly TimeProvider _timeProvider;
    private readonly Action<Action> _enqueue;
    private readonly Func<TimeSpan> _processCpuTime;
    private readonly int _processorCount;
    private readonly double _targetSeconds;
    private readonly ITimer _timer;
    private readonly TimeSpan _busyInterval;
    private readonly TimeSpan _quietInterval;
    private readonly Action _probe;
    private long _cpuSampledAt;
    private TimeSpan _cpuTimeAtSample;
    private double _processCpuShare; // written by ticks (one at a time), read by requests
    private int _sampling; // 1 while a tick samples the process's processor time
    private volatile bool _quiet; // ticking at _quietInterval; only the tick that samples writes it
    private long _probeQueuedAt;
    private int _probeOut;
    private double _smoothedSeconds; // written by the one probe out at a time, read by requests
    private int _disposed;

    /// <summary>Starts probing at once.</summary>
    /// <param name="options">The target and the interval; read here, not kept.</param>
    /// <param name="timeProvider">Clock of the ticks and the waits.</param>
    public ThreadPoolLagProbe(AdmissionOptions options, TimeProvider timeProvider)
        : this(options, timeProvider, static work => ThreadPool.UnsafeQueueUserWorkItem(static w => w(), work, preferLocal: false),
            static () => Environment.CpuUsage.TotalTime, Environment.ProcessorCount)
    {
    }

    /// <param name="options">The target and the interval; read here, not kept.</param>
    /// <param name="timeProvider">Clock of the ticks and the waits.</param>
    /// <param name="enqueue">Queues the probe's work item (the thread pool's global queue; a test runs it itself).</param>
    /// <param name="processCpuTime">Processor time this process has used so far (user and kernel).</param>
    /// <param name="processorCount">Processors this process may run on.</param>
    internal ThreadPoolLagProbe(AdmissionOptions options, TimeProvider timeProvider, Action<Action> enqueue, Func<TimeSpan> processCpuTime, int processorCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        _timeProvider = timeProvider;
        _enqueue = enqueue;
        _processCpuTime = processCpuTime;
        _processorCount = Math.Max(1, processorCount);
        _cpuSampledAt = timeProvider.GetTimestamp();
        _cpuTimeAtSample = processCpuTime();
        _targetSeconds = options.CpuLagTarget.TotalSeconds;
        _probe = OnProbeRan;
        _busyInterval = options.CpuLagProbeInterval;
        _quietInterval = _busyInterval > CpuSampleInterval ? _busyInterval : CpuSampleInterval;
        _timer = timeProvider.CreateTimer(static state => ((ThreadPoolLagProbe)state!).OnTick(), this, _busyInterval, _busyInterval);
    }

    /// <summary>The time a work item waits for a thread: the smoothed samples, or the wait of the probe still out if that
    /// is longer.</summary>
    public TimeSpan Lag => TimeSpan.FromSeconds(LagSeconds());

    /// <summary>Whether this process saturates its processors: the wait is at least half the target and the process
    /// itself uses at least <see cref="MinProcessCpuShare"/> of them. Request latency then holds enough CPU queueing that
    /// it is no evidence about the database (<see cref="GradientLimit"/> counts the window as at target).</summary>
    public bool IsCpuBound => LagSeconds() >= _targetSeconds / 2 && Volatile.Read(ref _processCpuShare) >= MinProcessCpuShare;

    /// <summary>The share of its processors this process used over the last <see cref="CpuSampleInterval"/>.</summary>
    public double ProcessCpuShare => Volatile.Read(ref _processCpuShare);

    /// <summary>The time between ticks now: <see cref="AdmissionOptions.CpuLagProbeInterval"/>, or
    /// <see cref="CpuSampleInterval"/> while the process is quiet (remarks).</summary>
    internal TimeSpan TickInterval => _quiet ? _quietInterval : _busyInterval;

    /// <summary>The share of governed requests of <paramref name="priority"/> to shed now: 0 in normal times (one volatile
    /// read); see the remarks for the law.</summary>
    public double ShedFraction(RequestPriority priority)
    {
        var lag = LagSeconds();
        if (lag <= _targetSeconds || Volatile.Read(ref _processCpuShare) < MinProcessCpuShare)
        {
            return 0;
        }

        var start = priority == RequestPriority.Read || priority == RequestPriority.Background ? _targetSeconds : 2 * _targetSeconds;
        return Math.Clamp((lag - start) / start, 0, MaxShedFraction);
    }

    private double LagSeconds()
    {
        var smoothed = Volatile.Read(ref _smoothedSeconds);
        if (Volatile.Read(ref _probeOut) != ProbeOut)
        {
            return smoothed;
        }

        return Math.Max(smoothed, _timeProvider.GetElapsedTime(Volatile.Read(ref _probeQueuedAt)).TotalSeconds);
    }

    /// <summary>Adds one sample to the smoothed lag; the probe calls it, tests may too.</summary>
    internal void Observe(TimeSpan lag)
    {
        var previous = Volatile.Read(ref _smoothedSeconds);
        Volatile.Write(ref _smoothedSeconds, previous + (SmoothingWeight * (lag.TotalSeconds - previous)));
    }

    /// <summary>Sets this process's share of its processors; the ticks call it, tests may too.</summary>
    internal void ObserveProcessCpu(double share) => Volatile.Write(ref _processCpuShare, share);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _timer.Dispose();
        }
    }

    private void OnTick()
    {
        SampleProcessCpu();
        if (Interlocked.CompareExchange(ref _probeOut, ProbeStarting, ProbeNone) != ProbeNone)
        {
            return; // the last probe still waits for a thread; it will report the whole wait when it runs
        }

        // Readers look at the queued time only once the probe is marked out, after the time is written.
        Volatile.Write(ref _probeQueuedAt, _timeProvider.GetTimestamp());
        Volatile.Write(ref _probeOut, ProbeOut);
        _enqueue(_probe);
    }

    /// <summary>Every <see cref="CpuSampleInterval"/>, the processor time used since the last sample over the time that
    /// passed, per processor. A periodic timer's callbacks can overlap when the thread pool is saturated (exactly when this
    /// matters); a tick that finds another one sampling skips, or the two would publish a difference over the wrong span.</summary>
    private void SampleProcessCpu()
    {
        if (Interlocked.Exchange(ref _sampling, 1) != 0)
        {
            return;
        }

        try
        {
            SampleProcessCpuAlone();
        }
        finally
        {
            Volatile.Write(ref _sampling, 0);
        }
    }

    private void SampleProcessCpuAlone()
    {
        var now = _timeProvider.GetTimestamp();
        var elapsed = _timeProvider.GetElapsedTime(Volatile.Read(ref _cpuSampledAt), now);
        // A tick due CpuSampleInterval after the last one can run a little less than that after the last sample's stamp
        // (which was taken once that tick's callback ran): without the slack, a quiet probe ticking at exactly that interval
        // would sample only every other tick.
        if (elapsed < CpuSampleInterval - SampleSlack)
        {
            return;
        }

        var used = _processCpuTime();
        var share = (used - _cpuTimeAtSample).TotalSeconds / (elapsed.TotalSeconds * _processorCount);
        _cpuTimeAtSample = used;
        Volatile.Write(ref _cpuSampledAt, now);
        ObserveProcessCpu(share);
        PaceTicks(quiet: share < QuietCpuShare);
    }

    private void PaceTicks(bool quiet)
    {
        if (quiet == _quiet || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _quiet = quiet;
        try
        {
            _timer.Change(TickInterval, TickInterval);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and here: no more ticks either way.
        }
    }

    private void OnProbeRan()
    {
        Observe(_timeProvider.GetElapsedTime(Volatile.Read(ref _probeQueuedAt)));
        Volatile.Write(ref _probeOut, ProbeNone);
    }
}
