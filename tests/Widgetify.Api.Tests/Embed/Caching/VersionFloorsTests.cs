using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Embed.Caching;

namespace Widgetify.Api.Tests.Embed.Caching;

public sealed class VersionFloorsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Admits_NothingHeard_AdmitsAnything()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2));

        floors.Admits(Guid.CreateVersion7(), 1).ShouldBeTrue();
        floors.Admits(Guid.CreateVersion7(), null).ShouldBeTrue();
    }

    [Fact]
    public void Admits_VersionBelowTheOneHeard_IsRefused()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2));
        var id = Guid.CreateVersion7();

        floors.Raise(id, 3);

        floors.Admits(id, 2).ShouldBeFalse("a lagging standby's snapshot");
        floors.Admits(id, 3).ShouldBeTrue();
        floors.Admits(id, null).ShouldBeFalse("the widget exists at version 3: a 'not found' is a standby that has not seen it yet");
    }

    [Fact]
    public void Raise_LowerVersionAfterHigher_KeepsTheHigher()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2));
        var id = Guid.CreateVersion7();

        floors.Raise(id, 5);
        floors.Raise(id, 4); // notifications of one widget can be heard out of order only across reconnects; never lower
        floors.Raise(id, null); // votes: no version

        floors.Admits(id, 4).ShouldBeFalse();
    }

    [Fact]
    public void Admits_Deleted_RefusesEveryVersionButAdmitsNotFound()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2));
        var id = Guid.CreateVersion7();

        floors.Raise(id, VersionFloors.Deleted);

        floors.Admits(id, 7).ShouldBeFalse();
        floors.Admits(id, null).ShouldBeTrue();
    }

    [Fact]
    public void ChangedSince_ChangeAfterTheSequenceWasTaken_IsTrue()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2));
        var (id, other) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        floors.Raise(id, 1);
        var sequence = floors.Sequence;

        floors.ChangedSince(id, sequence).ShouldBeFalse();
        floors.Raise(id, 2);
        floors.ChangedSince(id, sequence).ShouldBeTrue();
        floors.ChangedSince(other, sequence).ShouldBeFalse();
    }

    [Fact]
    public void Raise_PastCapacity_DropsFloorsOlderThanRetentionFirst()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2));
        var pruned = 0;
        floors.Pruned += () => pruned++;
        for (var i = 0; i < VersionFloors.Capacity; i++)
        {
            floors.Raise(Guid.CreateVersion7(), 1);
        }

        _time.Advance(TimeSpan.FromMinutes(3));
        var young = Guid.CreateVersion7();
        floors.Raise(young, 9);

        floors.Count.ShouldBe(1, "every floor older than the retention went");
        floors.Admits(young, 8).ShouldBeFalse();
        pruned.ShouldBe(0, "no young floor had to go, so reads in flight can still be judged");
    }

    [Fact]
    public void PrimaryOnly_ChangeWithoutANewVersion_TrueForTheWindowThenFalse()
    {
        var floors = new VersionFloors(_time, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30));
        var (id, other) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        floors.Raise(id, 3);
        _time.Advance(TimeSpan.FromSeconds(30));
        floors.PrimaryOnly(id).ShouldBeFalse();

        floors.Raise(id, null); // votes: the floor admits a standby's version 3, which may predate them

        floors.Admits(id, 3).ShouldBeTrue();
        floors.PrimaryOnly(id).ShouldBeTrue("the version floor cannot tell the standby's totals from the new ones");
        floors.PrimaryOnly(other).ShouldBeFalse();
        _time.Advance(TimeSpan.FromSeconds(29.9));
        floors.PrimaryOnly(id).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(0.1));
        floors.PrimaryOnly(id).ShouldBeFalse("past the window a standby has replayed the change or is out of the rotation");
    }
}
