using NpgsqlTypes;
using Widgetify.Overload.Routing;

namespace Widgetify.Overload.Tests.Routing;

public class ReplicationLagTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static NpgsqlLogSequenceNumber Lsn(ulong value) => new(value);

    [Fact]
    public void Judge_IdleSystemCaughtUp_NoLagWhateverTheLastCommitsAge()
    {
        // Arrange: nothing written for an hour; the standby has replayed everything
        var history = new PrimaryWalHistory();
        for (var s = 0; s <= 3600; s += 60)
        {
            history.Add(T0.AddSeconds(s), Lsn(5000));
        }

        // Act
        var lag = ReplicationLag.Judge(history, Lsn(5000), lastReplayedCommitAge: TimeSpan.FromHours(1), now: T0.AddHours(1));

        // Assert: pg_last_xact_replay_timestamp() is an hour old, yet there is no lag
        lag.ShouldBe(ReplicationLag.None);
    }

    [Fact]
    public void Judge_FrozenReplayWithAFewKilobytesBehind_LagGrowsWithTime()
    {
        // Arrange: one small write at T0+1 s that the standby never replays
        var history = new PrimaryWalHistory();
        history.Add(T0, Lsn(5000));
        history.Add(T0.AddSeconds(1), Lsn(5000 + 4096));
        for (var s = 2; s <= 10; s++)
        {
            history.Add(T0.AddSeconds(s), Lsn(5000 + 4096));
        }

        // Act
        var lag = ReplicationLag.Judge(history, Lsn(5000), lastReplayedCommitAge: TimeSpan.FromSeconds(40), now: T0.AddSeconds(10));

        // Assert: 4 KB behind, first seen at T0+1 s, so 9 s old
        lag.Bytes.ShouldBe(4096);
        lag.Time.ShouldBe(TimeSpan.FromSeconds(9));
    }

    [Fact]
    public void Judge_FirstWriteAfterLongIdle_LagIsSinceTheWriteNotSinceTheLastCommit()
    {
        // Arrange: idle for an hour, then a write seen at T0+3600.5 s, standby not yet replayed it
        var history = new PrimaryWalHistory();
        history.Add(T0, Lsn(100));
        history.Add(T0.AddSeconds(3600), Lsn(100));
        history.Add(T0.AddSeconds(3600.5), Lsn(300));

        // Act
        var lag = ReplicationLag.Judge(history, Lsn(100), lastReplayedCommitAge: TimeSpan.FromSeconds(3600.7), now: T0.AddSeconds(3600.7));

        // Assert
        lag.Bytes.ShouldBe(200);
        lag.Time.ShouldBe(TimeSpan.FromMilliseconds(200), tolerance: TimeSpan.FromMilliseconds(1));
    }

    [Theory]
    [InlineData(300, 300)] // nothing replayed for 5 minutes: at least that far behind
    [InlineData(2, 60)] // a recent commit replayed, but still behind everything this history saw: at least its span
    public void Judge_BehindTheWholeHistory_AtLeastTheSpanOrTheLastReplayedCommitsAge(int commitAgeSeconds, int expectedSeconds)
    {
        // Arrange: the primary has been past the replay position for the whole 60 s history (a router that just started)
        var history = new PrimaryWalHistory();
        for (var s = 0; s <= 60; s++)
        {
            history.Add(T0.AddSeconds(s), Lsn(1000 + ((ulong)s * 100)));
        }

        // Act
        var lag = ReplicationLag.Judge(history, Lsn(500), TimeSpan.FromSeconds(commitAgeSeconds), now: T0.AddSeconds(60));

        // Assert
        lag.Bytes.ShouldBe(6500);
        lag.Time.ShouldBe(TimeSpan.FromSeconds(expectedSeconds));
    }

    [Fact]
    public void Judge_HistoryCoversTheLag_LastReplayedCommitsAgeIgnored()
    {
        // Arrange: caught up at T0, then the primary moved on at T0+1 s; the last commit replayed was an hour ago
        var history = new PrimaryWalHistory();
        history.Add(T0, Lsn(100));
        history.Add(T0.AddSeconds(1), Lsn(200));

        // Act
        var lag = ReplicationLag.Judge(history, Lsn(100), TimeSpan.FromHours(1), now: T0.AddSeconds(2));

        // Assert
        lag.Time.ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Judge_NoPrimarySampleYet_NoLag()
    {
        ReplicationLag.Judge(new PrimaryWalHistory(), Lsn(1), null, T0).ShouldBe(ReplicationLag.None);
    }

    [Fact]
    public void Judge_StandbyAheadOfLastPrimarySample_NoLag()
    {
        // Arrange: the standby was polled after the primary
        var history = new PrimaryWalHistory();
        history.Add(T0, Lsn(100));

        // Act + Assert
        ReplicationLag.Judge(history, Lsn(150), null, T0.AddSeconds(1)).ShouldBe(ReplicationLag.None);
    }

    [Fact]
    public void History_FullRing_DropsOldestAndStillFindsFirstSampleBeyond()
    {
        // Arrange
        var history = new PrimaryWalHistory(capacity: 4);
        for (var s = 0; s < 10; s++)
        {
            history.Add(T0.AddSeconds(s), Lsn((ulong)s * 10));
        }

        // Act + Assert: kept samples are s = 6..9 (positions 60..90)
        history.FirstSeenBeyond(Lsn(75)).ShouldBe((T0.AddSeconds(8), false));
        history.FirstSeenBeyond(Lsn(0)).ShouldBe((T0.AddSeconds(6), true)); // older than the history: its oldest sample
        history.FirstSeenBeyond(Lsn(90)).ShouldBeNull();
        history.Latest.ShouldBe((T0.AddSeconds(9), Lsn(90)));
    }

    [Fact]
    public void History_SampleOlderThanNewest_Ignored()
    {
        var history = new PrimaryWalHistory();
        history.Add(T0.AddSeconds(5), Lsn(50));
        history.Add(T0.AddSeconds(4), Lsn(60));

        history.Latest.ShouldBe((T0.AddSeconds(5), Lsn(50)));
    }
}
