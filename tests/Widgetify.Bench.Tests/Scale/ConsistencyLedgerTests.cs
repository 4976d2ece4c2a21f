using Widgetify.Bench.Scale;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ConsistencyLedgerTests
{
    [Fact]
    public void RecordPair_EachAnswer_ClassifiedAsSeenMissedShedOrFailed()
    {
        // Arrange
        var ledger = new ConsistencyLedger();

        // Act: version 5 written each time.
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(200, 5));
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(200, 6));
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(200, 4));
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(404, null));
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(503, null));
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(0, null));
        ledger.RecordPair(At(0), At(0.01), 5, new ReadBack(200, null));
        ledger.RecordWriteFailure();
        var result = ledger.Result([], "standby-1");

        // Assert
        result.Pairs.ShouldBe(7);
        result.Seen.ShouldBe(2);
        result.Missed.ShouldBe(3, "an older version, a 404 and a 200 without a version did not show the write");
        result.Shed.ShouldBe(1);
        result.Failed.ShouldBe(1);
        result.WriteFailures.ShouldBe(1);
    }

    [Fact]
    public void RecordTokenlessRead_StaleUntilSeen_LargestStalenessFromTheWriteToTheLastStaleRead()
    {
        var ledger = new ConsistencyLedger();

        var seen = new[]
        {
            ledger.RecordTokenlessRead(At(10), At(10.02), 7, new ReadBack(200, 6)),
            ledger.RecordTokenlessRead(At(10), At(12.4), 7, new ReadBack(200, 6)),
            ledger.RecordTokenlessRead(At(10), At(12.5), 7, new ReadBack(503, null)),
            ledger.RecordTokenlessRead(At(10), At(12.6), 7, new ReadBack(200, 7)),
            ledger.RecordTokenlessRead(At(20), At(20.5), 9, new ReadBack(200, 8)),
        };
        var result = ledger.Result([], "standby-1");

        seen.ShouldBe([false, false, false, true, false]);
        result.TokenlessReads.ShouldBe(5);
        result.StaleReads.ShouldBe(3);
        result.TokenlessFailures.ShouldBe(1);
        result.MaxStalenessSeconds.ShouldBe(2.4, 1e-6);
    }

    [Fact]
    public void Result_Pauses_PairsCountedWhilePausedAndWhileStillInRotation()
    {
        // Arrange: replay paused from 10 s to 14 s; the standby left rotation at 12.5 s.
        var ledger = new ConsistencyLedger();
        foreach (var readAt in new[] { 9.0, 11.0, 12.0, 13.0, 15.0 })
        {
            ledger.RecordPair(At(readAt - 0.01), At(readAt), 1, new ReadBack(200, readAt is 13.0 ? 0 : 1));
        }

        // Act
        var result = ledger.Result([new ReplayPause(At(10), At(14), At(12.5))], "standby-1");

        // Assert
        result.PairsWhilePaused.ShouldBe(3);
        result.PairsWhilePausedInRotation.ShouldBe(2);
        result.MissedWhilePaused.ShouldBe(1);
        result.Pauses.ShouldHaveSingleItem().SecondsToLeaveRotation.ShouldNotBeNull().ShouldBe(2.5, 1e-6);
    }

    [Fact]
    public void ReplayPause_From_FirstSampleInThePauseThatShowsTheStandbyNotReady()
    {
        var standby = Standby("standby-1", 1000);
        IReadOnlyList<ScalingSample> samples =
        [
            Sample(9, servers: [Primary(), standby with { State = "lagging" }]),
            Sample(10.5, servers: [Primary(), standby]),
            Sample(12.6, servers: [Primary(), standby with { State = "lagging" }]),
            Sample(14.5, servers: [Primary(), standby]),
        ];

        var pause = ReplayPause.From(samples, standby, At(10), At(14));

        pause.LeftRotationAt.ShouldBe(At(12.6));
        pause.InRotation(At(12.5)).ShouldBeTrue();
        pause.InRotation(At(12.6)).ShouldBeFalse();
        pause.Holds(At(14)).ShouldBeFalse();
    }

    [Fact]
    public void ReplayPause_From_NeverLeftRotation_InRotationForTheWholePause()
    {
        var standby = Standby("standby-1", 1000);

        var pause = ReplayPause.From([Sample(11, servers: [Primary(), standby])], standby, At(10), At(11.5));

        pause.LeftRotationAt.ShouldBeNull();
        pause.SecondsToLeaveRotation.ShouldBeNull();
        pause.InRotation(At(11.4)).ShouldBeTrue();
    }

    [Fact]
    public async Task RecordPair_ManyWorkersAtOnce_NoneLost()
    {
        var ledger = new ConsistencyLedger();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                ledger.RecordPair(At(0), At(1), 1, new ReadBack(200, 1));
            }
        })));

        ledger.Pairs.ShouldBe(8000);
    }
}
