using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Tests.Standbys;

public sealed class StandbyPreflightTests
{
    private const long Megabyte = 1024 * 1024;

    private static readonly PrimaryCapacity Roomy = new(
        "replica", MaxWalSenders: 10, WalSendersInUse: 1, MaxReplicationSlots: 10, SlotsInUse: 1, DataBytes: 100 * Megabyte);

    [Fact]
    public void FindProblems_RoomForAStandby_FindsNone()
    {
        StandbyPreflight.FindProblems(Roomy, freeBytes: 200 * Megabyte, "/data/standbys/standby-2", busyPort: null).ShouldBeEmpty();
    }

    [Fact]
    public void FindProblems_OneFreeWalSender_NamesMaxWalSendersAndWhyTwo()
    {
        var problems = StandbyPreflight.FindProblems(Roomy with { MaxWalSenders = 3, WalSendersInUse = 2 }, 200 * Megabyte, "/d", null);

        problems.ShouldHaveSingleItem().ShouldStartWith("the primary's max_wal_senders is 3 with 2 in use, and a new standby needs 2 free");
    }

    [Fact]
    public void FindProblems_SlotsUsedUp_NamesMaxReplicationSlots()
    {
        var problems = StandbyPreflight.FindProblems(Roomy with { MaxReplicationSlots = 2, SlotsInUse = 2 }, 200 * Megabyte, "/d", null);

        problems.ShouldHaveSingleItem().ShouldStartWith("the primary's max_replication_slots is 2 with 2 in use");
    }

    [Fact]
    public void FindProblems_LessDiskThanThePrimaryAndHeadroom_NamesFolderAndSizes()
    {
        var problems = StandbyPreflight.FindProblems(Roomy, freeBytes: 105 * Megabyte, "/data/standbys/standby-2", null);

        problems.ShouldHaveSingleItem().ShouldStartWith("'/data/standbys/standby-2' has 105 MB free, and a copy of the primary needs about 110 MB");
    }

    [Fact]
    public void FindProblems_WalLevelMinimalAndBusyPort_ListsBoth()
    {
        var problems = StandbyPreflight.FindProblems(Roomy with { WalLevel = "minimal" }, 200 * Megabyte, "/d", busyPort: 5433);

        problems.Count.ShouldBe(2);
        problems[0].ShouldContain("wal_level is 'minimal'");
        problems[1].ShouldStartWith("port 5433 on 127.0.0.1 is in use");
    }
}
