using NpgsqlTypes;
using Widgetify.Overload.Routing;

namespace Widgetify.Overload.Tests.Routing;

public class ReadRoutingTests
{
    private static ReadCandidate Ready(int inFlight, int capacity, ulong replayed = 1000) =>
        new(ReadServerState.Ready, inFlight, capacity, new NpgsqlLogSequenceNumber(replayed));

    private static ConsistencyToken Token(ulong position) => new(new NpgsqlLogSequenceNumber(position));

    [Fact]
    public void Choose_NoStandby_Primary()
    {
        ReadRouting.Choose([], token: null, rotation: 0).ShouldBe(ReadChoice.Primary);
    }

    [Theory]
    [InlineData(ReadServerState.Starting)]
    [InlineData(ReadServerState.Lagging)]
    [InlineData(ReadServerState.Draining)]
    [InlineData(ReadServerState.Down)]
    public void Choose_OnlyStandbysOutOfRotation_Primary(ReadServerState state)
    {
        ReadCandidate[] standbys = [new(state, 0, 10, new NpgsqlLogSequenceNumber(5)), new(state, 0, 10, new NpgsqlLogSequenceNumber(5))];

        ReadRouting.Choose(standbys, token: null, rotation: 3).IsPrimary.ShouldBeTrue();
    }

    [Fact]
    public void Choose_ReadyWithZeroCapacity_Skipped()
    {
        ReadRouting.Choose([Ready(0, 0), Ready(5, 10)], null, 0).Standby.ShouldBe(1);
    }

    [Fact]
    public void Choose_UnequalLoad_TakesMostRoomRelativeToShare()
    {
        // 6 of 10 in use (0.6) against 3 of 4 (0.75) and 9 of 20 (0.45)
        ReadCandidate[] standbys = [Ready(6, 10), Ready(3, 4), Ready(9, 20)];

        ReadRouting.Choose(standbys, null, 0).ShouldBe(new ReadChoice(2, MustWait: false));
    }

    [Fact]
    public void Choose_EqualLoad_RotationSpreadsReadsOverEveryStandby()
    {
        ReadCandidate[] standbys = [Ready(0, 10), Ready(0, 10), Ready(0, 10)];

        var chosen = Enumerable.Range(0, 6).Select(r => ReadRouting.Choose(standbys, null, (uint)r).Standby).ToList();

        chosen.ShouldBe([0, 1, 2, 0, 1, 2]);
    }

    [Fact]
    public void Choose_TokenCoveredByABusierStandby_PrefersTheOneThatHasTheWrite()
    {
        // Standby 0 is idle but has not replayed 2000; standby 1 is busier but has
        ReadCandidate[] standbys = [Ready(0, 10, replayed: 1500), Ready(5, 10, replayed: 2500)];

        ReadRouting.Choose(standbys, Token(2000), 0).ShouldBe(new ReadChoice(1, MustWait: false));
    }

    [Fact]
    public void Choose_TokenCoveredByNone_LeastLoadedMustWait()
    {
        ReadCandidate[] standbys = [Ready(4, 10, replayed: 1500), Ready(1, 10, replayed: 1900)];

        ReadRouting.Choose(standbys, Token(2000), 0).ShouldBe(new ReadChoice(1, MustWait: true));
    }

    [Fact]
    public void Choose_TokenWithNoReadyStandby_Primary()
    {
        ReadCandidate[] standbys = [new(ReadServerState.Lagging, 0, 10, new NpgsqlLogSequenceNumber(5000))];

        ReadRouting.Choose(standbys, Token(2000), 0).ShouldBe(ReadChoice.Primary);
    }
}
