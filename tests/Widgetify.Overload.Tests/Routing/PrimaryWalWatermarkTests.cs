using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Overload.Routing;

namespace Widgetify.Overload.Tests.Routing;

/// <summary>When a token is judged without asking the primary, which read of the primary's position judges it, and how
/// often the primary is asked. The primary's answers are scripted here, one <see cref="TaskCompletionSource"/> per read, so
/// "a read that started before the token arrived" is a fact of the test rather than a race; the check against a real
/// primary is in the API's ConsistencyTokenTests.</summary>
public sealed class PrimaryWalWatermarkTests
{
    private readonly TimerCountingFakeTimeProvider _clock = new();
    private readonly List<TaskCompletionSource<NpgsqlLogSequenceNumber>> _reads = [];
    private readonly Lock _gate = new();

    private static ConsistencyToken Token(ulong position) => new(new NpgsqlLogSequenceNumber(position));

    private static NpgsqlLogSequenceNumber Lsn(ulong position) => new(position);

    private PrimaryWalWatermark Create(TimeSpan? minimumInterval = null) => new(
        cancellationToken =>
        {
            var read = new TaskCompletionSource<NpgsqlLogSequenceNumber>(TaskCreationOptions.RunContinuationsAsynchronously);
            cancellationToken.Register(() => read.TrySetCanceled(cancellationToken));
            lock (_gate)
            {
                _reads.Add(read);
            }

            return read.Task;
        },
        TimeSpan.FromSeconds(1), minimumInterval ?? TimeSpan.Zero, _clock, NullLogger<PrimaryWalWatermark>.Instance);

    private TaskCompletionSource<NpgsqlLogSequenceNumber> ReadNumber(int n)
    {
        lock (_gate)
        {
            return _reads[n - 1];
        }
    }

    private Task ReadsStartedAsync(int count) =>
        BoundedWait.UntilAsync(() => { lock (_gate) { return _reads.Count >= count; } }, () => $"{_reads.Count} reads", $"read {count} of the primary's position starts");

    [Fact]
    public async Task JudgeAsync_AtOrBelowAPositionSeen_ReachedWithoutAskingThePrimary()
    {
        // Arrange
        var watermark = Create();
        watermark.Observe(Lsn(5_000));
        watermark.Observe(Lsn(4_000));

        // Act
        var at = await watermark.JudgeAsync(Token(5_000), CancellationToken.None);
        var below = await watermark.JudgeAsync(Token(10), CancellationToken.None);

        // Assert
        (at, below).ShouldBe((TokenStanding.Reached, TokenStanding.Reached));
        watermark.Reads.ShouldBe(0);
        watermark.Known.ShouldBe(Lsn(5_000), "an older position never lowers the watermark");
    }

    [Fact]
    public async Task JudgeAsync_AboveTheWatermark_AsksThePrimary_ReachedWhenItIsThere_BeyondWhenNot()
    {
        // Arrange
        var watermark = Create();

        // Act
        var reached = watermark.JudgeAsync(Token(7_000), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);
        ReadNumber(1).SetResult(Lsn(8_000));
        var beyond = watermark.JudgeAsync(Token(8_100 + PrimaryWalWatermark.CrashMargin + 1), CancellationToken.None).AsTask();
        await ReadsStartedAsync(2);
        ReadNumber(2).SetResult(Lsn(8_100));

        // Assert
        (await reached).ShouldBe(TokenStanding.Reached);
        (await beyond).ShouldBe(TokenStanding.Beyond, "more than a crash's worth of WAL past the primary");
        watermark.Known.ShouldBe(Lsn(8_100));
        (await watermark.JudgeAsync(Token(8_050), CancellationToken.None)).ShouldBe(TokenStanding.Reached);
        watermark.Reads.ShouldBe(2, "a token under the position last read costs nothing");
    }

    [Fact]
    public async Task JudgeAsync_TokenArrivesWhileAReadRuns_IsJudgedByTheNextRead()
    {
        // Arrange: the first read may have read the position before the second token's write committed
        var watermark = Create();
        var first = watermark.JudgeAsync(Token(1_000), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);

        // Act
        var second = watermark.JudgeAsync(Token(2_000), CancellationToken.None).AsTask();
        ReadNumber(1).SetResult(Lsn(1_500));
        await ReadsStartedAsync(2);
        second.IsCompleted.ShouldBeFalse("the read that began before it cannot judge it");
        ReadNumber(2).SetResult(Lsn(2_500));

        // Assert
        (await first).ShouldBe(TokenStanding.Reached);
        (await second).ShouldBe(TokenStanding.Reached, "the write behind it committed after the first read");
    }

    [Fact]
    public async Task JudgeAsync_ManyTokensDuringOneRead_ShareTheNextRead()
    {
        // Arrange
        var watermark = Create();
        var first = watermark.JudgeAsync(Token(1_000), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);

        // Act: a flood of forged tokens while the first read runs
        var flood = Enumerable.Range(0, 200).Select(i => watermark.JudgeAsync(Token(ulong.MaxValue - (ulong)i), CancellationToken.None).AsTask()).ToArray();
        ReadNumber(1).SetResult(Lsn(1_000));
        await ReadsStartedAsync(2);
        ReadNumber(2).SetResult(Lsn(1_200));

        // Assert
        (await first).ShouldBe(TokenStanding.Reached);
        (await Task.WhenAll(flood)).ShouldAllBe(standing => standing == TokenStanding.Beyond);
        watermark.Reads.ShouldBe(2, "200 tokens, one read between them");
    }

    [Fact]
    public async Task JudgeAsync_ReadsComeNoCloserThanTheMinimumInterval()
    {
        // Arrange
        var watermark = Create(TimeSpan.FromMilliseconds(10));
        var first = watermark.JudgeAsync(Token(ulong.MaxValue), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);
        ReadNumber(1).SetResult(Lsn(1_000));
        (await first).ShouldBe(TokenStanding.Beyond);

        // Act: a token just past the last read, as a write elsewhere since then would give
        var second = watermark.JudgeAsync(Token(1_100), CancellationToken.None).AsTask();
        await BoundedWait.UntilAsync(() => _clock.ArmedTimers > 0 || second.IsCompleted, () => "no wait armed", "the second read waits for its turn");
        int startedEarly;
        lock (_gate)
        {
            startedEarly = _reads.Count;
        }

        _clock.Advance(TimeSpan.FromMilliseconds(10));
        await ReadsStartedAsync(2);
        ReadNumber(2).SetResult(Lsn(1_100));

        // Assert
        startedEarly.ShouldBe(1, "the second read started before 10 ms had passed");
        (await second).ShouldBe(TokenStanding.Reached);
    }

    [Fact]
    public async Task JudgeAsync_FurtherPastTheLastReadThanTheWalCouldGrow_BeyondWithoutAnotherRead()
    {
        // Arrange
        var watermark = Create();
        var first = watermark.JudgeAsync(Token(2_000), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);
        ReadNumber(1).SetResult(Lsn(1_000_000));
        (await first).ShouldBe(TokenStanding.Reached);
        _clock.Advance(TimeSpan.FromSeconds(1));

        // Act: two seconds' worth at the highest plausible rate is in reach (1 s since the read, plus 1), a byte more is not
        const ulong reach = 1_000_000 + PrimaryWalWatermark.CrashMargin + (2 * PrimaryWalWatermark.MaxWalBytesPerSecond);
        var forged = await watermark.JudgeAsync(Token(reach + 1), CancellationToken.None);
        var plausible = watermark.JudgeAsync(Token(reach), CancellationToken.None).AsTask();
        await ReadsStartedAsync(2);
        ReadNumber(2).SetResult(Lsn(1_000_500));

        // Assert
        forged.ShouldBe(TokenStanding.Beyond);
        (await plausible).ShouldBe(TokenStanding.Beyond, "in reach, so the primary was asked, and it is not there either");
        watermark.Reads.ShouldBe(2, "the forged token cost no read");
    }

    [Fact]
    public async Task JudgeAsync_PastThePrimaryByLessThanACrashCouldExplain_TakenAsItIs()
    {
        // Arrange: a primary that crashed and recovered can restart a little below the insert position a commit reported
        var watermark = Create();

        // Act
        var judged = watermark.JudgeAsync(Token(5_000 + PrimaryWalWatermark.CrashMargin), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);
        ReadNumber(1).SetResult(Lsn(5_000));

        // Assert
        (await judged).ShouldBe(TokenStanding.Unknown);
    }

    [Theory]
    [InlineData("unreachable")]
    [InlineData("hangs")]
    public async Task JudgeAsync_PrimaryCannotBeAsked_UnknownAndTheTokenIsTakenAsItIs(string how)
    {
        // Arrange
        var watermark = Create();

        // Act
        var judged = watermark.JudgeAsync(Token(1_000), CancellationToken.None).AsTask();
        await ReadsStartedAsync(1);
        if (how == "unreachable")
        {
            ReadNumber(1).SetException(new NpgsqlException("connection refused"));
        }
        else
        {
            await BoundedWait.UntilAsync(() => _clock.ArmedTimers > 0, () => "no timeout armed", "the read's bound is armed");
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        // Assert: and for a second after it, tokens are not held for another read
        (await judged).ShouldBe(TokenStanding.Unknown);
        (await watermark.JudgeAsync(Token(2_000), CancellationToken.None)).ShouldBe(TokenStanding.Unknown);
        watermark.Reads.ShouldBe(1);
        _clock.Advance(PrimaryWalWatermark.UnreadablePause);
        var later = watermark.JudgeAsync(Token(2_000), CancellationToken.None).AsTask();
        await ReadsStartedAsync(2);
        ReadNumber(2).SetResult(Lsn(2_000));
        (await later).ShouldBe(TokenStanding.Reached);
    }
}
