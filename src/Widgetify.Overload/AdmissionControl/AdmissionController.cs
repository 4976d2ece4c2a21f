using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>
/// Adaptive admission control in front of the database: an adaptive concurrency limit (<see cref="GradientLimit"/>),
/// a CoDel queue with adaptive LIFO (<see cref="AdmissionQueue"/>), priority shares (<see cref="PriorityAllowance"/>)
/// jittered <c>Retry-After</c> values (<see cref="RetryAfterPolicy"/>), and shares between tenants: each request names
/// its tenant's partition (<see cref="IAdmissionPartitioner"/>), the queue serves the partitions of a priority in turn,
/// a partition at its share of the limit is passed over while another below it waits, and a full queue sheds from the
/// partition most over its share of the queue. docs/overload.md explains the laws.
/// </summary>
/// <remarks>
/// One lock guards all state; waiters are completed after it is released. A slot that frees goes to the
/// highest-priority waiter whose allowance permits it. Options are copied at construction, so changing the
/// <see cref="AdmissionOptions"/> instance afterwards has no effect (as with runtime's <c>ConcurrencyLimiter</c>).
/// </remarks>
public sealed class AdmissionController : IDisposable
{
    private static readonly TimerCallback s_onTimeout = static state =>
    {
        var waiter = (AdmissionWaiter)state!;
        waiter.Owner!.Decide(waiter, RejectionReason.QueueTimeout);
    };

    private static readonly Action<object?> s_onCancelled = static state =>
    {
        var waiter = (AdmissionWaiter)state!;
        waiter.Owner!.Decide(waiter, RejectionReason.Deadline);
    };

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly GradientLimit _limit;
    private readonly AdmissionQueue _queue;
    private readonly RetryAfterPolicy _retryAfter;
    private readonly AdmissionMetrics? _metrics;
    private readonly CpuOverload.ThreadPoolLagProbe? _cpu;
    private readonly IDisposable? _metricsSubscription;
    private readonly double _readShare;
    private readonly double _backgroundShare;
    private readonly bool _tenantShares;
    private readonly int _minTenantShare;
    private readonly int _queueCapacity;
    private readonly Dictionary<string, AdmissionPartition> _partitions = new(StringComparer.Ordinal); // active ones only
    private readonly Stack<AdmissionPartition> _idlePartitions = new(); // reused, so a tenant's arrival allocates nothing
    private int _inFlight;
    private long _admitted;
    private long _queueFull;
    private long _queueTimeouts;
    private long _noCapacity;
    private long _evicted;
    private long _deadlineExceeded;
    private long _cancelledWhileQueued;
    private long _overShare;
    private bool _disposed;

    // The lock-free answer to "would a request of this priority be refused right now?" (WouldRefuse), rewritten under the
    // lock after every change of state: the most important priority refused at once in the low byte (every less important
    // one is refused too), the reason above it. Written only when it changes, so the cache line the pre-routing check
    // reads on every request stays shared between cores instead of bouncing.
    private const int NothingRefused = 0xFF;
    private volatile int _refusal = NothingRefused;
    private long _shedBeforeRoutingQueueFull;
    private long _shedBeforeRoutingNoCapacity;
    private long _shedBeforeRoutingCpuOverload;
    private long _skipped;

    /// <summary>Creates a controller.</summary>
    /// <param name="options">The options, validated here (ranges and cross-field rules); copied, not kept.</param>
    /// <param name="timeProvider">Clock of latencies, windows and queue timers.</param>
    /// <param name="random">Source of <c>Retry-After</c> jitter; seed it in tests. Only used under the lock.</param>
    /// <param name="metrics">Instruments to record to, or null.</param>
    public AdmissionController(AdmissionOptions options, TimeProvider timeProvider, Random random, AdmissionMetrics? metrics = null)
        : this(options, timeProvider, random, metrics, cpu: null)
    {
    }

    /// <param name="options">The options, validated here (ranges and cross-field rules); copied, not kept.</param>
    /// <param name="timeProvider">Clock of latencies, windows and queue timers.</param>
    /// <param name="random">Source of <c>Retry-After</c> jitter; seed it in tests. Only used under the lock.</param>
    /// <param name="metrics">Instruments to record to, or null.</param>
    /// <param name="cpu">Tells when the processors are saturated, so the limit does not learn from that latency; null
    /// to learn from every window.</param>
    internal AdmissionController(AdmissionOptions options, TimeProvider timeProvider, Random random, AdmissionMetrics? metrics, CpuOverload.ThreadPoolLagProbe? cpu)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(random);
        // Ranges and the cross-field rules (AdmissionOptions.Validate) alike.
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        _timeProvider = timeProvider;
        _limit = new GradientLimit(options, timeProvider);
        _queue = new AdmissionQueue(options.QueueCapacity, options.QueueInterval, options.QueueTargetDelay, timeProvider);
        _retryAfter = new RetryAfterPolicy(options.RetryAfter, options.RetryAfterJitter, random);
        _readShare = options.ReadShare;
        _backgroundShare = options.BackgroundShare;
        _tenantShares = options.TenantShares;
        _minTenantShare = options.MinTenantShare;
        _queueCapacity = options.QueueCapacity;
        _metrics = metrics;
        _cpu = cpu;
        _metricsSubscription = metrics?.Observe(GetStatistics);
    }

    /// <summary>The current concurrency limit in requests (0 while the ceiling is 0).</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return _limit.Limit;
            }
        }
    }

    /// <summary>The partition key of requests that name none, and of every request while tenant shares are off.</summary>
    internal const string SharedPartitionKey = "";

    /// <summary>Most idle partitions kept for reuse.</summary>
    private const int IdlePartitionsKept = 256;

    /// <summary><see cref="TryAcquire(RequestPriority, string?, out AdmissionLease?)"/> in the shared partition.</summary>
    /// <param name="priority">The request's priority.</param>
    /// <param name="lease">The lease when admitted.</param>
    /// <returns>True when admitted.</returns>
    public bool TryAcquire(RequestPriority priority, [NotNullWhen(true)] out AdmissionLease? lease) =>
        TryAcquire(priority, null, out lease);

    /// <summary>Admits the request at once if its priority's allowance has room and no waiter of the same or higher
    /// priority is queued (it must not overtake them). Never queues, never counts a rejection, never allocates
    /// unless admitting; on false, call <see cref="AcquireAsync(RequestPriority, string?, CancellationToken)"/>.</summary>
    /// <param name="priority">The request's priority.</param>
    /// <param name="partitionKey">The request's tenant (<see cref="IAdmissionPartitioner"/>); null for the shared partition.</param>
    /// <param name="lease">The lease when admitted.</param>
    /// <returns>True when admitted.</returns>
    public bool TryAcquire(RequestPriority priority, string? partitionKey, [NotNullWhen(true)] out AdmissionLease? lease)
    {
        ThrowIfUndefined(priority);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!CanAdmitNow(priority))
            {
                lease = null;
                return false;
            }

            lease = Grant(priority, PartitionFor(KeyOf(partitionKey)), _timeProvider.GetTimestamp());
            PublishRefusal();
        }

        _metrics?.RecordAdmitted(priority);
        return true;
    }

    /// <summary>Whether a request of <paramref name="priority"/> arriving now would be refused at once, without queueing:
    /// this instance's connection share is 0 (<see cref="RejectionReason.NoCapacity"/>), or the queue is full of requests
    /// at least as important while the priority's allowance is used up (<see cref="RejectionReason.QueueFull"/>). Lock-free
    /// (one volatile read), for a check that runs before routing on every request; <see cref="AcquireAsync(RequestPriority, string?, CancellationToken)"/> at that
    /// instant would refuse it for the same reason. Counts nothing: a caller that sheds on this answer calls
    /// <see cref="CountShedBeforeRouting"/>.</summary>
    /// <param name="priority">The highest priority the request could turn out to have.</param>
    /// <param name="reason">Why it would be refused; <see cref="RejectionReason.None"/> when it would not.</param>
    /// <returns>True when it would be refused.</returns>
    public bool WouldRefuse(RequestPriority priority, out RejectionReason reason)
    {
        var refusal = _refusal;
        if ((int)priority < (refusal & NothingRefused))
        {
            reason = RejectionReason.None;
            return false;
        }

        reason = (RejectionReason)(refusal >> 8);
        return true;
    }

    /// <summary>Counts a request shed before routing on <see cref="WouldRefuse"/>'s answer: in the statistics (with the
    /// other refusals of its reason, and in <see cref="AdmissionStatistics.TotalShedBeforeRouting"/>) and in the shed
    /// metric. Lock-free: one interlocked increment.</summary>
    /// <param name="priority">The priority it was judged by.</param>
    /// <param name="reason"><see cref="RejectionReason.QueueFull"/>, <see cref="RejectionReason.NoCapacity"/> or
    /// <see cref="RejectionReason.CpuOverload"/>.</param>
    /// <returns>How many requests were shed before routing for <paramref name="reason"/> so far, this one included: a
    /// sequence number the caller may use to spread its <c>Retry-After</c> values.</returns>
    public long CountShedBeforeRouting(RequestPriority priority, RejectionReason reason)
    {
        var count = reason switch
        {
            RejectionReason.NoCapacity => Interlocked.Increment(ref _shedBeforeRoutingNoCapacity),
            RejectionReason.CpuOverload => Interlocked.Increment(ref _shedBeforeRoutingCpuOverload),
            _ => Interlocked.Increment(ref _shedBeforeRoutingQueueFull),
        };
        _metrics?.RecordShed(priority, reason);
        return count;
    }

    /// <summary>Counts a request let through without a slot because it does no database work
    /// (<see cref="AdmissionSkipMetadata"/>): in <see cref="AdmissionStatistics.TotalSkipped"/> and the skipped metric, so
    /// that admitted + skipped + shed is every governed request. Lock-free.</summary>
    /// <param name="priority">The priority it would have had.</param>
    public void CountSkipped(RequestPriority priority)
    {
        Interlocked.Increment(ref _skipped);
        _metrics?.RecordSkipped(priority);
    }

    /// <summary><see cref="AcquireAsync(RequestPriority, string?, CancellationToken)"/> in the shared partition.</summary>
    /// <param name="priority">The request's priority.</param>
    /// <param name="cancellationToken">The request's deadline and client-abort token.</param>
    /// <returns>The lease, or the reason and a jittered <c>Retry-After</c>.</returns>
    public ValueTask<AdmissionResult> AcquireAsync(RequestPriority priority, CancellationToken cancellationToken) =>
        AcquireAsync(priority, null, cancellationToken);

    /// <summary>Admits, queues or rejects the request. Rejections are results, never exceptions: with the ceiling at 0,
    /// <see cref="RejectionReason.NoCapacity"/>; with a full queue, <see cref="RejectionReason.QueueFull"/> (or a
    /// waiter of lower priority, or of the same priority from a partition over its share, is
    /// <see cref="RejectionReason.Evicted"/>); after waiting the CoDel timeout, <see cref="RejectionReason.QueueTimeout"/>;
    /// when <paramref name="cancellationToken"/> fires while queued (or before), <see cref="RejectionReason.Deadline"/>.</summary>
    /// <param name="priority">The request's priority.</param>
    /// <param name="partitionKey">The request's tenant (<see cref="IAdmissionPartitioner"/>); null for the shared partition.</param>
    /// <param name="cancellationToken">The request's deadline and client-abort token.</param>
    /// <returns>The lease, or the reason and a jittered <c>Retry-After</c>.</returns>
    public ValueTask<AdmissionResult> AcquireAsync(RequestPriority priority, string? partitionKey, CancellationToken cancellationToken)
    {
        ThrowIfUndefined(priority);
        var batch = default(WaiterBatch);
        AdmissionResult result;
        AdmissionWaiter? waiter = null;
        var overShare = false;
        var key = KeyOf(partitionKey);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _timeProvider.GetTimestamp();
            if (_limit.Ceiling == 0)
            {
                result = Reject(RejectionReason.NoCapacity);
            }
            else if (CanAdmitNow(priority))
            {
                result = AdmissionResult.Admitted(Grant(priority, PartitionFor(key), now));
            }
            else if (cancellationToken.IsCancellationRequested)
            {
                result = Reject(RejectionReason.Deadline);
            }
            else if (_queue.TimeoutFor(ExistingPartition(key), now) is var timeout && timeout <= TimeSpan.Zero)
            {
                result = Reject(RejectionReason.QueueTimeout); // QueueTargetDelay 0: a standing queue admits no waiting
            }
            else if (!_queue.TryMakeRoom(priority, ExistingPartition(key), QueueShare(key), out var evicted, out overShare))
            {
                result = Reject(RejectionReason.QueueFull);
                CountOverShare(overShare);
            }
            else
            {
                if (evicted is not null)
                {
                    evicted.OverShare = overShare; // recorded with the evicted waiter's priority when it is completed
                    CountOverShare(overShare);
                    overShare = false;
                    Decide(evicted, RejectionReason.Evicted, now, ref batch);
                }

                // After the eviction, which may have left the newcomer's own partition idle and forgotten.
                waiter = new AdmissionWaiter(priority, now, timeout, PartitionFor(key)) { Owner = this };
                _queue.Enqueue(waiter, now);
                waiter.Timer = _timeProvider.CreateTimer(s_onTimeout, waiter, timeout, Timeout.InfiniteTimeSpan);

                // If the token fires during registration the callback runs here, re-entering the (reentrant) lock.
                waiter.Registration = cancellationToken.UnsafeRegister(s_onCancelled, waiter);
                result = default;
            }

            PublishRefusal();
            AssertInvariants();
        }

        Finish(ref batch);
        if (waiter is not null)
        {
            return new ValueTask<AdmissionResult>(waiter.Task);
        }

        RecordImmediate(priority, result);
        if (overShare)
        {
            _metrics?.RecordOverShare(priority);
        }

        return new ValueTask<AdmissionResult>(result);
    }

    /// <summary>Sets this instance's share of the fleet's connection budget. The limit is clamped to it at once
    /// (also below MinLimit); 0 rejects every request, queued ones included, with <see cref="RejectionReason.NoCapacity"/>.</summary>
    /// <param name="maxConcurrency">Connections this instance may use; 0 or more.</param>
    public void SetCeiling(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxConcurrency);
        var batch = default(WaiterBatch);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _limit.SetCeiling(maxConcurrency);
            var now = _timeProvider.GetTimestamp();
            if (maxConcurrency == 0)
            {
                RejectAll(RejectionReason.NoCapacity, now, ref batch);
            }
            else
            {
                Drain(now, ref batch); // a higher ceiling may have room for waiters
            }

            PublishRefusal();
            AssertInvariants();
        }

        Finish(ref batch);
    }

    /// <summary>A new jittered <c>Retry-After</c>, for a caller that sheds a request itself (its deadline expired
    /// after admission).</summary>
    /// <returns><see cref="AdmissionOptions.RetryAfter"/> plus 0 to <see cref="AdmissionOptions.RetryAfterJitter"/>
    /// whole seconds.</returns>
    public TimeSpan NextRetryAfter() => NextRetryAfter(TimeSpan.Zero);

    /// <summary>A new jittered <c>Retry-After</c> whose base is at least <paramref name="atLeast"/>: the one place the
    /// service computes a <c>Retry-After</c>, for sheds and for a database that is unavailable alike, so both carry the
    /// same jitter (clients failed together must not all come back in the same second).</summary>
    /// <param name="atLeast">The smallest base; below <see cref="AdmissionOptions.RetryAfter"/> it changes nothing.</param>
    /// <returns>max(<see cref="AdmissionOptions.RetryAfter"/>, <paramref name="atLeast"/>) plus 0 to
    /// <see cref="AdmissionOptions.RetryAfterJitter"/> whole seconds.</returns>
    public TimeSpan NextRetryAfter(TimeSpan atLeast)
    {
        lock (_lock)
        {
            return _retryAfter.Next(atLeast);
        }
    }

    /// <summary>Counts a request as shed because the server's own deadline expired (statistics and the shed metric,
    /// reason <c>deadline</c>): a <see cref="RejectionReason.Deadline"/> result whose cancellation came from the
    /// deadline rather than the client, or an admitted request answered 503 when its deadline hit. The controller
    /// cannot tell deadline from client abort; the caller, which owns both tokens, can. Never report client aborts,
    /// so they never inflate the shed count.</summary>
    /// <param name="priority">The request's priority.</param>
    public void ReportDeadlineExceeded(RequestPriority priority)
    {
        ThrowIfUndefined(priority);
        lock (_lock)
        {
            _deadlineExceeded++;
        }

        _metrics?.RecordShed(priority, RejectionReason.Deadline);
    }

    /// <summary>A snapshot of limit, load, queue and counters.</summary>
    /// <returns>The statistics, consistent with each other.</returns>
    public AdmissionStatistics GetStatistics()
    {
        lock (_lock)
        {
            return new AdmissionStatistics(
            [
                _queue.CountOf(RequestPriority.Critical), _queue.CountOf(RequestPriority.Write),
                _queue.CountOf(RequestPriority.Read), _queue.CountOf(RequestPriority.Background),
            ])
            {
                Limit = _limit.Limit,
                Ceiling = _limit.Ceiling == int.MaxValue ? null : _limit.Ceiling,
                InFlight = _inFlight,
                Queued = _queue.Count,
                BaselineLatency = _limit.Baseline,
                LastWindowLatency = _limit.LastWindowLatency,
                TotalAdmitted = _admitted,
                TotalQueueFull = _queueFull + Interlocked.Read(ref _shedBeforeRoutingQueueFull),
                TotalQueueTimeouts = _queueTimeouts,
                TotalNoCapacity = _noCapacity + Interlocked.Read(ref _shedBeforeRoutingNoCapacity),
                TotalEvicted = _evicted,
                TotalDeadlineExceeded = _deadlineExceeded,
                TotalCancelledWhileQueued = _cancelledWhileQueued,
                TotalShedBeforeRouting = Interlocked.Read(ref _shedBeforeRoutingQueueFull) + Interlocked.Read(ref _shedBeforeRoutingNoCapacity)
                    + Interlocked.Read(ref _shedBeforeRoutingCpuOverload),
                ActivePartitions = _partitions.Count,
                TotalOverShare = _overShare,
                TotalCpuOverload = Interlocked.Read(ref _shedBeforeRoutingCpuOverload),
                TotalSkipped = Interlocked.Read(ref _skipped),
                CpuLag = _cpu?.Lag,
                WindowsCpuBound = _limit.WindowsCpuBound,
            };
        }
    }

    /// <summary>Rejects every queued request with <see cref="RejectionReason.NoCapacity"/> and refuses new ones
    /// (<see cref="ObjectDisposedException"/>). Leases still held may be released afterwards.</summary>
    public void Dispose()
    {
        var batch = default(WaiterBatch);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            RejectAll(RejectionReason.NoCapacity, _timeProvider.GetTimestamp(), ref batch);
            PublishRefusal();
        }

        Finish(ref batch);
        _metricsSubscription?.Dispose();
    }

    /// <summary>Called once per lease by <see cref="AdmissionLease.Complete"/>.</summary>
    internal void Release(AdmissionLease lease, AdmissionOutcome outcome)
    {
        var batch = default(WaiterBatch);
        lock (_lock)
        {
            var now = _timeProvider.GetTimestamp();
            _inFlight--;
            lease.Partition.InFlight--;
            if (!_disposed)
            {
                _limit.OnCompleted(outcome, _timeProvider.GetElapsedTime(lease.GrantedTimestamp, now), _inFlight, _cpu?.IsCpuBound ?? false);
                Drain(now, ref batch);
            }

            ForgetIfIdle(lease.Partition);
            PublishRefusal();

            AssertInvariants();
        }

        Finish(ref batch);
    }

    /// <summary>A waiter's timer or token fired: reject it unless something else decided it first.</summary>
    private void Decide(AdmissionWaiter waiter, RejectionReason reason)
    {
        var batch = default(WaiterBatch);
        lock (_lock)
        {
            if (!_queue.Remove(waiter))
            {
                return;
            }

            Decide(waiter, reason, _timeProvider.GetTimestamp(), ref batch);
            PublishRefusal();
            AssertInvariants();
        }

        Finish(ref batch);
    }

    private void Decide(AdmissionWaiter waiter, RejectionReason reason, long now, ref WaiterBatch batch)
    {
        waiter.QueueDuration = _timeProvider.GetElapsedTime(waiter.EnqueuedTimestamp, now);
        waiter.Result = reason == RejectionReason.None
            ? AdmissionResult.Admitted(Grant(waiter.Priority, waiter.Partition, now))
            : Reject(reason);
        ForgetIfIdle(waiter.Partition);
        batch.Add(waiter);
    }

    /// <summary>Gives free slots to waiters: highest priority first, each only within its allowance, and within a
    /// priority to the partitions in turn, passing over those at their in-flight share while another waits. A waiter
    /// found past its timeout (its timer has not run yet) is timed out instead (lazy expiry).</summary>
    /// <remarks>One pass from Critical down is enough: granting only raises the in-flight count, so a priority whose
    /// allowance is used up stays so for the rest of the pass, and a queue once emptied stays empty.</remarks>
    private void Drain(long now, ref WaiterBatch batch)
    {
        for (var priority = RequestPriority.Critical; priority <= RequestPriority.Background; priority++)
        {
            while (_queue.CountOf(priority) > 0 && _inFlight < AllowanceOf(priority))
            {
                var waiter = _queue.TryDequeue(priority, now, InFlightShare(priority))!;
                var expired = waiter.IsExpired(_timeProvider, now);
                Decide(waiter, expired ? RejectionReason.QueueTimeout : RejectionReason.None, now, ref batch);
            }
        }
    }

    private void RejectAll(RejectionReason reason, long now, ref WaiterBatch batch)
    {
        for (var priority = RequestPriority.Critical; priority <= RequestPriority.Background; priority++)
        {
            while (_queue.TryDequeue(priority, now) is { } waiter)
            {
                Decide(waiter, reason, now, ref batch);
            }
        }
    }

    private bool CanAdmitNow(RequestPriority priority) =>
        _inFlight < AllowanceOf(priority) && !_queue.HasWaitersAtOrAbove(priority);

    private int AllowanceOf(RequestPriority priority) =>
        PriorityAllowance.For(priority, _limit.Limit, _limit.Ceiling, _readShare, _backgroundShare);

    private AdmissionLease Grant(RequestPriority priority, AdmissionPartition partition, long now)
    {
        _inFlight++;
        _admitted++;
        partition.InFlight++;
        _limit.OnAdmitted(_inFlight);
        return new AdmissionLease(this, priority, partition, now);
    }

    private string KeyOf(string? partitionKey) => _tenantShares && partitionKey is not null ? partitionKey : SharedPartitionKey;

    private AdmissionPartition? ExistingPartition(string key) => _partitions.GetValueOrDefault(key);

    private AdmissionPartition PartitionFor(string key)
    {
        if (!_partitions.TryGetValue(key, out var partition))
        {
            if (_idlePartitions.TryPop(out partition))
            {
                partition.Reuse(key);
            }
            else
            {
                partition = new AdmissionPartition(key);
            }

            _partitions.Add(key, partition);
        }

        return partition;
    }

    /// <summary>A partition with nothing in flight or queued is forgotten: the active ones are what shares divide by.</summary>
    private void ForgetIfIdle(AdmissionPartition partition)
    {
        if (partition.IsIdle && _partitions.Remove(partition.Key) && _idlePartitions.Count < IdlePartitionsKept)
        {
            _idlePartitions.Push(partition);
        }
    }

    /// <summary>Slots of <paramref name="priority"/>'s allowance one partition may hold while another partition waits:
    /// an equal split among the active partitions, at least <see cref="AdmissionOptions.MinTenantShare"/>. Only a
    /// preference when slots free up (who goes next), never a cap on a partition alone: work-conserving.</summary>
    private int InFlightShare(RequestPriority priority) =>
        _tenantShares ? Math.Max(_minTenantShare, CeilingDivide(AllowanceOf(priority), Math.Max(1, _partitions.Count))) : int.MaxValue;

    /// <summary>Waiters one partition may hold when the queue is full, counting the newcomer's partition as active; no
    /// bound for a partition alone (nobody to be fair to).</summary>
    private int QueueShare(string key) => QueueShareAmong(_partitions.Count + (_partitions.ContainsKey(key) ? 0 : 1));

    private int QueueShareAmong(int active) =>
        _tenantShares && active > 1 ? Math.Max(_minTenantShare, CeilingDivide(_queueCapacity, active)) : int.MaxValue;

    private void CountOverShare(bool overShare)
    {
        if (overShare)
        {
            _overShare++;
        }
    }

    private static int CeilingDivide(int dividend, int divisor) => (dividend + divisor - 1) / divisor;

    /// <summary>Counts the rejection and draws its <c>Retry-After</c> (under the lock: <see cref="Random"/> is not
    /// thread-safe).</summary>
    private AdmissionResult Reject(RejectionReason reason)
    {
        switch (reason)
        {
            case RejectionReason.QueueFull: _queueFull++; break;
            case RejectionReason.QueueTimeout: _queueTimeouts++; break;
            case RejectionReason.NoCapacity: _noCapacity++; break;
            case RejectionReason.Evicted: _evicted++; break;
            case RejectionReason.Deadline: _cancelledWhileQueued++; break; // not shed: the client may have left
        }

        return new AdmissionResult(null, reason, _retryAfter.Next());
    }

    /// <summary>Completes decided waiters and records their metrics, outside the lock.</summary>
    private void Finish(ref WaiterBatch batch)
    {
        var waiter = batch.TakeAll();
        while (waiter is not null)
        {
            var next = waiter.Next;
            waiter.Next = null;
            waiter.Complete();
            if (_metrics is not null)
            {
                _metrics.RecordQueueDuration(waiter.Priority, waiter.Result.Reason, waiter.QueueDuration);
                RecordImmediate(waiter.Priority, waiter.Result);
                if (waiter.OverShare)
                {
                    _metrics.RecordOverShare(waiter.Priority);
                }
            }

            waiter = next;
        }
    }

    private void RecordImmediate(RequestPriority priority, AdmissionResult result)
    {
        if (_metrics is null)
        {
            return;
        }

        if (result.IsAdmitted)
        {
            _metrics.RecordAdmitted(priority);
        }
        else if (result.Reason != RejectionReason.Deadline)
        {
            _metrics.RecordShed(priority, result.Reason);
        }
    }

    /// <summary>Rewrites the snapshot <see cref="WouldRefuse"/> reads; called under the lock after every change. Refusal is
    /// monotone in priority (a less important request has a smaller allowance, more waiters ahead of it and fewer waiters
    /// it could evict), so one threshold describes it. A queue whose timeout is 0 (QueueTargetDelay 0 in a standing queue)
    /// also refuses at once, but that depends on the clock at arrival, so it is left to <see cref="AcquireAsync(RequestPriority, string?, CancellationToken)"/>.</summary>
    private void PublishRefusal()
    {
        // Once disposed nothing is refused here: AcquireAsync says so (ObjectDisposedException) rather than shedding as if overloaded.
        var refusal = NothingRefused;
        if (_disposed)
        {
            refusal = NothingRefused;
        }
        else if (_limit.Ceiling == 0)
        {
            refusal = Refusal(RequestPriority.Critical, RejectionReason.NoCapacity);
        }
        else
        {
            for (var priority = RequestPriority.Critical; priority <= RequestPriority.Background; priority++)
            {
                if (_queue.WouldRefuse(priority, QueueShareAmong(_partitions.Count + 1)) && !CanAdmitNow(priority))
                {
                    refusal = Refusal(priority, RejectionReason.QueueFull);
                    break;
                }
            }
        }

        if (_refusal != refusal)
        {
            _refusal = refusal;
        }

        static int Refusal(RequestPriority from, RejectionReason reason) => ((int)reason << 8) | (int)from;
    }

    private static void ThrowIfUndefined(RequestPriority priority)
    {
        if (priority is < RequestPriority.Critical or > RequestPriority.Background)
        {
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "Use Critical, Write, Read or Background.");
        }
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_inFlight >= 0, "In-flight count is never negative.");
        Debug.Assert(_queue.Count >= 0, "Queued count is never negative.");
        Debug.Assert(_partitions.Count <= _inFlight + _queue.Count, "Only active partitions are remembered.");
    }
}
