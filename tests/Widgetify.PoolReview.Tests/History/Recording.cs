using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Widgetify.Observability.Signals;
using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview.Tests.History;

/// <summary>The recorder as the service wires it (pending minutes, the writer on a real database, the flush loop), on a
/// fake clock, for one instance.</summary>
internal sealed class Recording : IAsyncDisposable
{
    private readonly SignalHistory history = new(10);

    public Recording(
        NpgsqlDataSource dataSource, string instance = "a", IServerPoolSource? servers = null, int capacity = PendingMinutes.DefaultCapacity,
        TimeSpan? retention = null, TimerCountingFakeTimeProvider? clock = null)
    {
        Clock = clock ?? new TimerCountingFakeTimeProvider(Seconds.T0);
        Pending = new PendingMinutes(capacity);
        Flusher = new PoolHistoryFlusher(
            new PoolMinuteWriter(dataSource), Pending, retention ?? TimeSpan.FromDays(30), Clock, Logger);
        Recorder = new PoolHistoryRecorder(instance, servers, Pending, Flusher, Logger);
        History = new PoolHistory(dataSource);
    }

    public TimerCountingFakeTimeProvider Clock { get; }

    public FakeLogger Logger { get; } = new();

    public PendingMinutes Pending { get; }

    public PoolHistoryFlusher Flusher { get; }

    public PoolHistoryRecorder Recorder { get; }

    public PoolHistory History { get; }

    /// <summary>One second of the monitoring loop.</summary>
    public void Second(SignalSnapshot second) => Recorder.Observe(second, [], history, []);

    /// <summary>Seconds <paramref name="from"/> to <paramref name="to"/> (inclusive), each made by <paramref name="second"/>.</summary>
    public void Run(int from, int to, Func<int, SignalSnapshot> second)
    {
        for (var n = from; n <= to; n++)
        {
            Second(second(n));
        }
    }

    public Task<bool> FlushAsync() => Flusher.FlushAsync(CancellationToken.None);

    /// <summary>Everything stored in the first <paramref name="minutes"/> minutes after T0.</summary>
    public async Task<PoolHistoryRange> ReadAsync(int minutes = 10, string? server = null) =>
        await History.ReadAsync(Seconds.T0, Seconds.T0.AddMinutes(minutes), server);

    public ValueTask DisposeAsync() => Recorder.DisposeAsync();
}
