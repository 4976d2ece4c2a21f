using System.ComponentModel.DataAnnotations;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Settings of admission control (configuration section <c>Widgetify:Admission</c>). The defaults
/// suit a service whose requests take about a millisecond of database time; docs/overload.md explains each law.</summary>
public sealed class AdmissionOptions : IValidatableObject
{
    /// <summary>Which protection runs.</summary>
    /// <value>Default <see cref="AdmissionMode.Adaptive"/>.</value>
    public AdmissionMode Mode { get; set; } = AdmissionMode.Adaptive;

    /// <summary>Concurrency limit before any latency has been measured.</summary>
    /// <value>Default 20; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int InitialLimit { get; set; } = 20;

    /// <summary>The limit never falls below this (unless the connection share is lower), so a latency signal
    /// inflated by something the limit cannot cure, such as CPU starvation from the storm itself, cannot starve the
    /// service. 20 is Netflix concurrency-limits' Gradient2 default; the storm benchmark measured goodput 2.2x higher
    /// with it than with a floor of 2, whose latency-driven fixed point is 4 (docs/benchmarks.md).</summary>
    /// <value>Default 20; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int MinLimit { get; set; } = 20;

    /// <summary>The limit never rises above this, nor above this instance's connection share.</summary>
    /// <value>Default 200; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int MaxLimit { get; set; } = 200;

    /// <summary>How far above the no-load latency (the baseline) the measured latency may rise before the limit
    /// shrinks. 2 means "twice the baseline is still fine".</summary>
    /// <value>Default 2.0; range 1.0 to 10.0.</value>
    [Range(1.0, 10.0)]
    public double Tolerance { get; set; } = 2.0;

    /// <summary>Absolute latency added to the target, so sub-millisecond jitter is not read as congestion.</summary>
    /// <value>Default 1 ms; range 0 to 1 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan LatencySlack { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Samples are aggregated over windows of at least this long before the limit moves.</summary>
    /// <value>Default 100 ms; range 10 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan SampleWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A window needs at least this many samples to move the limit (fewer carry too little signal).</summary>
    /// <value>Default 10; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int MinWindowSamples { get; set; } = 10;

    /// <summary>Weight of each new window in the limit (exponential smoothing); higher reacts faster.</summary>
    /// <value>Default 0.2; range 0.01 to 1.0.</value>
    [Range(0.01, 1.0)]
    public double Smoothing { get; set; } = 0.2;

    /// <summary>Multiplicative decrease applied when a window carries timeouts (a run of timeouts is congestion
    /// whatever the latency of the requests that did finish).</summary>
    /// <value>Default 0.9; range 0.1 to 1.0.</value>
    [Range(0.1, 1.0)]
    public double BackoffRatio { get; set; } = 0.9;

    /// <summary>How many timed-out requests in one window count as congestion.</summary>
    /// <value>Default 2; range 1 to 1,000.</value>
    [Range(1, 1_000)]
    public int TimeoutsForCongestion { get; set; } = 2;

    /// <summary>Most requests waiting for a slot; beyond it the lowest-priority waiter (or the newcomer) is shed.</summary>
    /// <value>Default 1,000; range 0 to 100,000.</value>
    [Range(0, 100_000)]
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>CoDel's interval: a queue that has not been empty for this long is a standing queue. While the
    /// queue keeps emptying, a request may wait this long.</summary>
    /// <value>Default 100 ms; range 1 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan QueueInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>CoDel's target: while a standing queue persists, a request waits at most this long and the
    /// queue serves newest first (adaptive LIFO), so the requests served are the ones still worth serving.</summary>
    /// <value>Default 5 ms; range 0 to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan QueueTargetDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Share of the limit that reads may occupy; the rest is kept for writes and health probes.</summary>
    /// <value>Default 0.9; range 0.1 to 1.0.</value>
    [Range(0.1, 1.0)]
    public double ReadShare { get; set; } = 0.9;

    /// <summary>Share of the limit that background work (view counting) may occupy.</summary>
    /// <value>Default 0.5; range 0.05 to 1.0.</value>
    [Range(0.05, 1.0)]
    public double BackgroundShare { get; set; } = 0.5;

    /// <summary>Shares between tenants: each request's tenant (<see cref="IAdmissionPartitioner"/>) is a partition; while
    /// the limit is contended the queue serves the partitions of a priority in turn, a partition holding its share of the
    /// limit is passed over while another waits, and a full queue sheds from the partition most over its share. Off, every
    /// request is in one partition, as before (kept for comparison: docs/benchmarks.md).</summary>
    /// <value>Default true.</value>
    public bool TenantShares { get; set; } = true;

    /// <summary>The smallest share of a priority's slots, and of the queue, that a tenant is entitled to however many
    /// tenants are active (the share is otherwise an equal split among the active ones).</summary>
    /// <value>Default 1; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int MinTenantShare { get; set; } = 1;

    /// <summary>Time budget of a read, from arrival to response; no database command outlives it.</summary>
    /// <value>Default 2 s; range 10 ms to 5 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time budget of a write or a health probe.</summary>
    /// <value>Default 5 s; range 10 ms to 5 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Smallest <c>Retry-After</c> sent with a shed request.</summary>
    /// <value>Default 1 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Random extra seconds added to <see cref="RetryAfter"/> (uniform, whole seconds), so clients shed
    /// together do not come back together.</summary>
    /// <value>Default 2 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryAfterJitter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><see cref="AdmissionMode.Adaptive"/> only: refuse, before routing, a request that admission would certainly
    /// refuse anyway (see <see cref="PreRoutingShedExtensions.UseShedBeforeRouting"/>), with a pre-built 503. Off, every
    /// shed goes through routing and the admission middleware first, as before issue 15 (the shed-cost benchmark compares
    /// the two).</summary>
    /// <value>Default true.</value>
    public bool ShedBeforeRouting { get; set; } = true;

    /// <summary><see cref="AdmissionMode.Adaptive"/> only: shed, before routing, a share of the governed requests while this
    /// process saturates its processors, judged by how long work waits for a thread-pool thread
    /// (<see cref="CpuOverload.ThreadPoolLagProbe"/>). It keeps the requests served fast, at the price of the processor
    /// time the sheds themselves take: in the storm benchmark's open-loop storms it cost most of the goodput (the mixed
    /// storm served 430 req/s with it and 3,898 without, docs/benchmarks.md), so it is off by default, for a deployment
    /// that prefers fast refusals to slow answers. The probe runs either way: the database's limit uses it to tell the
    /// processors' queueing from the database's latency (docs/overload.md 2.7a).</summary>
    /// <value>Default false.</value>
    public bool CpuShed { get; set; }

    /// <summary>The thread-pool wait above which reads start to be shed for CPU: at this smoothed wait none are, at twice
    /// it nearly all (<see cref="CpuOverload.ThreadPoolLagProbe.MaxShedFraction"/>); writes start at twice it. Every step
    /// of a request (reading it, each database reply, writing the answer) waits this long once more, so a served request
    /// takes a few times this on top of its own time.</summary>
    /// <value>Default 20 ms; range 1 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan CpuLagTarget { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often the thread-pool wait is probed (one work item each time).</summary>
    /// <value>Default 10 ms; range 1 ms to 1 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:01")]
    public TimeSpan CpuLagProbeInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary><see cref="AdmissionMode.Static"/> only: ASP.NET Core ConcurrencyLimiter's permit count.</summary>
    /// <value>Default 50; range 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int StaticPermitLimit { get; set; } = 50;

    /// <summary><see cref="AdmissionMode.Static"/> only: ConcurrencyLimiter's FIFO queue length.</summary>
    /// <value>Default 500; range 0 to 100,000.</value>
    [Range(0, 100_000)]
    public int StaticQueueLimit { get; set; } = 500;

    /// <summary>The rules single-field ranges cannot state: the limit's start must lie between its floor and its
    /// ceiling. Both the configuration validator and <see cref="AdmissionController"/> apply them.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinLimit > MaxLimit)
        {
            yield return new ValidationResult(
                $"Widgetify:Admission:MinLimit ({MinLimit}) must not exceed MaxLimit ({MaxLimit}): lower MinLimit or raise MaxLimit.",
                [nameof(MinLimit), nameof(MaxLimit)]);
        }

        if (InitialLimit < MinLimit || InitialLimit > MaxLimit)
        {
            yield return new ValidationResult(
                $"Widgetify:Admission:InitialLimit ({InitialLimit}) must be between MinLimit ({MinLimit}) and MaxLimit ({MaxLimit}).",
                [nameof(InitialLimit)]);
        }
    }
}
