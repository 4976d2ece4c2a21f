using Microsoft.Extensions.Time.Testing;

namespace Widgetify.Testing;

/// <summary>A <see cref="FakeTimeProvider"/> that also counts its armed timers, which FakeTimeProvider does not
/// expose. Tests use the count to prove that no timer is left behind (a waiter granted or cancelled disposes its
/// timeout) and to know when background code has started waiting on the clock, so that advancing it fires exactly
/// what they mean to fire. Everything else is FakeTimeProvider's: a timer due now fires inside
/// <see cref="CreateTimer"/> or <see cref="ITimer.Change"/>, and the callbacks of an <see cref="FakeTimeProvider.Advance"/>
/// see the clock already at its end.</summary>
public sealed class TimerCountingFakeTimeProvider : FakeTimeProvider
{
    private int _armedTimers;

    public TimerCountingFakeTimeProvider()
    {
    }

    public TimerCountingFakeTimeProvider(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>Timers created here that have a due time and are neither disposed nor spent (a one-shot timer that
    /// fired is spent); a timer created or changed to <see cref="Timeout.InfiniteTimeSpan"/> is not armed.</summary>
    public int ArmedTimers => Volatile.Read(ref _armedTimers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new CountingTimer(this, callback, state);
        timer.Arm(dueTime, period); // counted before FakeTimeProvider may fire it (due now) inside the call below
        timer.Inner = base.CreateTimer(static s => ((CountingTimer)s!).Fire(), timer, dueTime, period);
        return timer;
    }

    private sealed class CountingTimer(TimerCountingFakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private readonly Lock _lock = new();
        private bool _armed;
        private bool _periodic;
        private bool _disposed;

        public ITimer? Inner { get; set; }

        public void Arm(TimeSpan dueTime, TimeSpan period)
        {
            lock (_lock)
            {
                SetArmed(dueTime != Timeout.InfiniteTimeSpan);

                // As with System.Threading.Timer, a period of zero or infinity means "fire once".
                _periodic = period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;
            }
        }

        public void Fire()
        {
            lock (_lock)
            {
                if (!_periodic)
                {
                    SetArmed(false);
                }
            }

            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return false;
                }
            }

            Arm(dueTime, period);
            return Inner!.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                SetArmed(false);
            }

            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void SetArmed(bool armed)
        {
            if (_armed != armed)
            {
                _armed = armed;
                Interlocked.Add(ref owner._armedTimers, armed ? 1 : -1);
            }
        }
    }
}
