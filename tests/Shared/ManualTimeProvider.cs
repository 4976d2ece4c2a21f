namespace Widgetify.Testing;

/// <summary>A <see cref="TimeProvider"/> that only moves when a test calls <see cref="Advance"/>. Timers due within
/// an advance fire synchronously inside it, in due order (ties in creation order), with the clock set to their due
/// time; periodic timers fire once per elapsed period. A timer created with due time zero fires at the next
/// <see cref="Advance"/> (even <c>Advance(TimeSpan.Zero)</c>), never inside <see cref="CreateTimer"/>, so a callback
/// never re-enters the code that created its timer. Time only moves forward; to step the wall clock (backwards,
/// as an NTP correction does) use <see cref="SetUtcNow"/>, which leaves timestamps and timers alone.
/// (FakeTimeProvider is not in the package feed here.)</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _utcAtTimestampZero;
    private long _elapsedTicks;
    private long _timersCreated;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2026, 2, 15, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public ManualTimeProvider(DateTimeOffset start) => _utcAtTimestampZero = start;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Timers created and neither disposed nor spent (one-shot timers that fired are spent).</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_lock)
            {
                return _timers.Count(t => t.DueTicks is not null);
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _utcAtTimestampZero.AddTicks(_elapsedTicks);
        }
    }

    /// <summary>Sets the wall clock (<see cref="GetUtcNow"/>) to <paramref name="utcNow"/>, forwards or backwards,
    /// without moving <see cref="GetTimestamp"/> or firing timers: a wall-clock step, not elapsed time.</summary>
    public void SetUtcNow(DateTimeOffset utcNow)
    {
        lock (_lock)
        {
            _utcAtTimestampZero = utcNow.AddTicks(-_elapsedTicks);
        }
    }

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _elapsedTicks;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_lock)
        {
            timer.Sequence = _timersCreated++;
            _timers.Add(timer);
            Schedule(timer, dueTime, period);
        }

        return timer;
    }

    /// <summary>Moves the clock forward, firing every timer that falls due on the way.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_lock)
        {
            target = _elapsedTicks + delta.Ticks;
        }

        while (true)
        {
            ManualTimer? due;
            lock (_lock)
            {
                due = _timers
                    .Where(t => t.DueTicks <= target)
                    .OrderBy(t => t.DueTicks)
                    .ThenBy(t => t.Sequence)
                    .FirstOrDefault();
                if (due is null)
                {
                    _elapsedTicks = target;
                    return;
                }

                _elapsedTicks = Math.Max(_elapsedTicks, due.DueTicks!.Value);
                due.DueTicks = due.PeriodTicks is { } period ? due.DueTicks + period : null;
            }

            due.Callback(due.State); // outside the lock: the callback may read the clock or change timers
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        timer.DueTicks = dueTime == Timeout.InfiniteTimeSpan ? null : _elapsedTicks + dueTime.Ticks;

        // As with System.Threading.Timer, a period of zero or infinity means "fire once".
        timer.PeriodTicks = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period.Ticks;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public long Sequence { get; set; }

        public long? DueTicks { get; set; }

        public long? PeriodTicks { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                if (!owner._timers.Contains(this))
                {
                    return false;
                }

                owner.Schedule(this, dueTime, period);
                return true;
            }
        }

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
