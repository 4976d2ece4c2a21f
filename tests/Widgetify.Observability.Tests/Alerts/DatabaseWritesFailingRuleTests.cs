using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class DatabaseWritesFailingRuleTests
{
    private const string Rule = "DatabaseWritesFailing";

    private static Func<SignalSnapshot, SignalSnapshot> Refused(params (string SqlState, long Count)[] refusals) =>
        s => Healthy(s) with { WriteFailures = refusals.ToDictionary(r => r.SqlState, r => r.Count) };

    [Fact]
    public void Evaluate_ThreeWritesRefusedForDiskFull_FiresOnTheThirdNamingTheConditionAndWhatToDo()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(2, Healthy).Run(3, Refused(("53100", 1)));

        // Assert
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 5)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Severity.ShouldBe(AlertSeverity.Page);
        alert.Summary.ShouldStartWith("PostgreSQL refused 3 write(s) in the last 10 s: disk full (53100) x3. Free disk space on the database server");
        alert.Values["sqlstate_53100"].ShouldBe(3);
    }

    [Fact]
    public void Evaluate_TwoRefusals_DoesNotFire()
    {
        var script = new AlertScript();

        script.Run(1, Refused(("53100", 2))).Run(20, Healthy);

        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_SeveralCauses_NamesTheOneWithMostRefusalsFirst()
    {
        var script = new AlertScript();

        script.Run(1, Refused(("53200", 1), ("58030", 4)));

        script.Active(Rule).ShouldNotBeNull().Summary.ShouldStartWith(
            "PostgreSQL refused 5 write(s) in the last 10 s: io error (58030) x4, out of memory (53200) x1. The database server could not read or write its files");
    }

    [Fact]
    public void Evaluate_ConflictsAndOtherClassesOnly_DoNotFire()
    {
        // Serialization failures, deadlocks, a read-only standby: counted by the metric, but not "cannot write".
        var script = new AlertScript();

        script.Run(5, Refused(("40001", 10), ("40P01", 10), ("25006", 10)));

        script.Of(Rule).ShouldBeEmpty();
    }

    [Fact]
    public void Evaluate_RefusalsStop_ResolvesOnceTheyLeaveTheWindow()
    {
        // Arrange
        var script = new AlertScript();

        // Act: refused for 5 s, then 30 healthy seconds.
        script.Run(5, Refused(("53100", 2))).Run(30, Healthy);

        // Assert: from second 14 the 10 s window holds only second 5's two refusals, under the threshold of 3;
        // ResolveAfter (10 s) later it resolves.
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Firing, 2), (AlertState.Firing, AlertState.Resolved, 24)]);
    }
}
