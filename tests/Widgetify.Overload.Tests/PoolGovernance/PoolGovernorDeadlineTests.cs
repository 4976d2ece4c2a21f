using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

/// <summary>The wait for the connection share derives from the request's deadline (<see cref="ShareWait"/>), on a fake
/// clock. No database: a governor that has taken no lease has a share of 0, so every open waits at the gate and none
/// gets as far as connecting.</summary>
public sealed class PoolGovernorDeadlineTests : IAsyncDisposable
{
    // Nothing listens there, and nothing tries: the gate never lets an open through.
    private const string Unreached = "Host=127.0.0.1;Port=1;Username=nobody";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 2, 15, 8, 0, 0, TimeSpan.Zero));
    private readonly PoolGovernor _governor;

    public PoolGovernorDeadlineTests() =>
        _governor = new PoolGovernor(Unreached, 10, "deadline-test", new ConnectionBudgetOptions(), _time, NullLoggerFactory.Instance);

    public async ValueTask DisposeAsync() => await _governor.DisposeAsync();

    [Fact]
    public async Task OpenConnectionAsync_ReadDeadlineBeforePoolTimeout_EndsExactlyAtTheDeadlineNamingTheBudgetSetting()
    {
        // Arrange: a read's 2 s budget, 0.5 s of it already spent queueing; the pool's 'Timeout' is 3 s
        await using var pool = NpgsqlDataSource.Create(Unreached + ";Timeout=3");
        var arrived = _time.GetTimestamp();
        using var deadlineTimer = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
        var deadline = new RequestDeadline(TimeSpan.FromSeconds(2), "Widgetify:Admission:ReadTimeout", arrived, _time, deadlineTimer.Token);
        _time.Advance(TimeSpan.FromMilliseconds(500));

        // Act
        var open = _governor.OpenConnectionAsync(pool, deadline, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(1499));
        var pendingJustBefore = !open.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // Assert: still waiting 1 ms before the deadline, over at the deadline (not at the pool's 3 s), with the deadline's cause
        pendingJustBefore.ShouldBeTrue();
        var error = await CancellationOfAsync(open);
        error.CancellationToken.ShouldBe(deadlineTimer.Token);
        error.InnerException.ShouldBeOfType<TimeoutException>();
        error.Message.ShouldContain("waiting for one of the 0 connection(s) of this instance's share");
        error.Message.ShouldContain("raise Widgetify:Admission:ReadTimeout (currently 2 s)");
        _governor.Gate.Waiting.ShouldBe(0, "a wait that ended leaves the line");
    }

    [Fact]
    public async Task OpenConnectionAsync_PoolTimeoutBeforeWriteDeadline_EndsAtThePoolTimeoutNamingTimeout()
    {
        // Arrange: a write's 5 s budget; the pool's 'Timeout' is 1 s
        await using var pool = NpgsqlDataSource.Create(Unreached + ";Timeout=1");
        using var deadlineTimer = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
        var deadline = new RequestDeadline(TimeSpan.FromSeconds(5), "Widgetify:Admission:WriteTimeout", _time.GetTimestamp(), _time, deadlineTimer.Token);

        // Act
        var open = _governor.OpenConnectionAsync(pool, deadline, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(999));
        var pendingJustBefore = !open.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // Assert
        pendingJustBefore.ShouldBeTrue();
        var error = await Should.ThrowAsync<NpgsqlException>(open);
        error.InnerException.ShouldBeOfType<TimeoutException>();
        error.Message.ShouldStartWith("No connection within 1 s ('Timeout' in the connection string)");
        deadlineTimer.IsCancellationRequested.ShouldBeFalse("the request still has 4 s left");
    }

    [Fact]
    public async Task OpenConnectionAsync_NoDeadline_WaitsThePoolTimeout()
    {
        // Arrange: background work (the view flush) has no request and no deadline
        await using var pool = NpgsqlDataSource.Create(Unreached + ";Timeout=2");

        // Act
        var open = _governor.OpenConnectionAsync(pool, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        var pendingJustBefore = !open.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // Assert
        pendingJustBefore.ShouldBeTrue();
        (await Should.ThrowAsync<NpgsqlException>(open)).Message.ShouldStartWith("No connection within 2 s");
    }

    [Fact]
    public async Task OpenConnectionAsync_DeadlineAlreadyPassed_FailsAtOnceWithoutWaiting()
    {
        // Arrange: the request spent its whole budget before it asked for a connection
        await using var pool = NpgsqlDataSource.Create(Unreached + ";Timeout=3");
        using var deadlineTimer = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
        var deadline = new RequestDeadline(TimeSpan.FromSeconds(2), "Widgetify:Admission:ReadTimeout", _time.GetTimestamp(), _time, deadlineTimer.Token);
        _time.Advance(TimeSpan.FromSeconds(2));

        // Act
        var open = _governor.OpenConnectionAsync(pool, deadline, CancellationToken.None).AsTask();

        // Assert
        deadline.Remaining.ShouldBe(TimeSpan.Zero);
        (await CancellationOfAsync(open)).InnerException.ShouldBeOfType<TimeoutException>();
    }

    /// <summary>The cancellation as an await sees it (Should.ThrowAsync reports a cancelled task's cancellation without
    /// the exception the governor threw, message and inner exception included).</summary>
    private static async Task<OperationCanceledException> CancellationOfAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException cancelled)
        {
            return cancelled;
        }

        throw new ShouldAssertException("The open succeeded; it should have ended at the deadline.");
    }
}
