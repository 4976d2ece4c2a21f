using Widgetify.Incidents.Timeline;
using static Widgetify.Incidents.Tests.Signals;

namespace Widgetify.Incidents.Tests.Timeline;

public sealed class AutomaticActionsTests
{
    [Fact]
    public void Observe_SheddingStartsAfterTheSeed_RecordsShedEngaged()
    {
        // Arrange
        var actions = new AutomaticActions();
        actions.Seed(Second(0));

        // Act
        var entries = actions.Observe(Second(1, requests: 200, shed: 50)).ToList();

        // Assert
        var entry = entries.ShouldHaveSingleItem();
        entry.At.ShouldBe(T0.AddSeconds(1));
        entry.Kind.ShouldBe(IncidentEventKind.AutomaticAction);
        entry.Message.ShouldBe("Shedding engaged: 50 of 200 requests shed (25.0%), admission limit 100, 0 queued.");
    }

    [Fact]
    public void Observe_ThreeQuietSecondsAfterShedding_RecordsShedStoppedAtTheFirstQuietSecond()
    {
        // Arrange: 50 shed per second from second 1 to 6, none from 7.
        var actions = new AutomaticActions();
        actions.Seed(Second(0));
        for (var i = 1; i <= 6; i++)
        {
            _ = actions.Observe(Second(i, requests: 200, shed: 50));
        }

        _ = actions.Observe(Second(7));
        _ = actions.Observe(Second(8));

        // Act
        var entries = actions.Observe(Second(9)).ToList();

        // Assert
        var entry = entries.ShouldHaveSingleItem();
        entry.At.ShouldBe(T0.AddSeconds(7));
        entry.Message.ShouldBe("Shedding stopped after 6 s: 300 requests shed in all.");
        entry.Values.ShouldNotBeNull()["shedTotal"].ShouldBe(300);
    }

    [Fact]
    public void Observe_LimitMovesBackWithinTheCooldown_RecordsOnlyTheFirstMoveUntilTheCooldownEnds()
    {
        // Arrange
        var actions = new AutomaticActions();
        actions.Seed(Second(0, limit: 100));

        // Act
        var lowered = actions.Observe(Second(1, limit: 70)).ToList();
        var withinCooldown = actions.Observe(Second(2, limit: 100)).ToList();
        var afterCooldown = actions.Observe(Second(6, limit: 100)).ToList();

        // Assert
        lowered.ShouldHaveSingleItem().Message.ShouldBe("Admission limit lowered 100 -> 70 (-30%): 70 in flight, 0 queued.");
        withinCooldown.ShouldBeEmpty();
        afterCooldown.ShouldHaveSingleItem().Message.ShouldBe("Admission limit raised 70 -> 100 (+43%): 100 in flight, 0 queued.");
    }

    [Fact]
    public void Observe_QueueBuildsThenDrainsAndBuildsAgain_RecordsEachStartOutsideTheCooldown()
    {
        // Arrange
        var actions = new AutomaticActions();
        actions.Seed(Second(0));

        // Act
        var first = actions.Observe(Second(1, queued: 30)).ToList();
        _ = actions.Observe(Second(2));
        var again = actions.Observe(Second(8, queued: 10)).ToList();

        // Assert
        first.ShouldHaveSingleItem().Message.ShouldBe("Admission queue building: 30 requests waiting (limit 100, 100 in flight).");
        again.ShouldHaveSingleItem().Message.ShouldBe("Admission queue building: 10 requests waiting (limit 100, 100 in flight).");
    }

    [Fact]
    public void Observe_ShareChanges_RecordsOldAndNewShareWithTheFleetBudget()
    {
        // Arrange
        var actions = new AutomaticActions();
        actions.Seed(Second(0, share: 20));

        // Act
        var entries = actions.Observe(Second(1, share: 10, pending: 3)).ToList();

        // Assert
        entries.ShouldHaveSingleItem().Message.ShouldBe("Connection share changed 20 -> 10 (fleet budget 20); 5 in use, 3 waiting.");
    }

    [Fact]
    public void Observe_FirstSecondWithoutSeed_RecordsNothingButRemembersTheLimit()
    {
        // Arrange
        var actions = new AutomaticActions();

        // Act
        var first = actions.Observe(Second(1, limit: 50)).ToList();
        var second = actions.Observe(Second(2, limit: 100)).ToList();

        // Assert
        first.ShouldBeEmpty();
        second.ShouldHaveSingleItem().Message.ShouldBe("Admission limit raised 50 -> 100 (+100%): 100 in flight, 0 queued.");
    }
}
