using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;
using static Widgetify.Observability.Tests.Alerts.AlertScript;

namespace Widgetify.Observability.Tests.Alerts;

public sealed class WalArchivingFailingRuleTests
{
    private const string Rule = "WalArchivingFailing";

    private static SignalSnapshot Archiving(SignalSnapshot s) => Healthy(s) with { WalArchiveFailing = false };

    private static SignalSnapshot Failing(SignalSnapshot s) => Healthy(s) with
    {
        WalArchiveFailing = true,
        // The archiver's rhythm: three attempts a second apart, then a minute's wait.
        WalArchiveFailures = (s.At - T0).TotalSeconds % 60 < 3 ? 1 : 0,
        WalArchiveFailedSegment = "000000010000000000000007",
    };

    [Fact]
    public void Evaluate_ArchiverKeepsFailing_FiresAfterTwoMinutesNamingTheSegment()
    {
        // Arrange
        var script = new AlertScript();

        // Act
        script.Run(60, Archiving).Run(200, Failing);

        // Assert: failing from the 61st second, pending at once, firing 2 minutes later.
        script.Of(Rule).ShouldBe([(AlertState.Inactive, AlertState.Pending, 61), (AlertState.Pending, AlertState.Firing, 181)]);
        var alert = script.Active(Rule).ShouldNotBeNull();
        alert.Severity.ShouldBe(AlertSeverity.Page);
        alert.Summary.ShouldStartWith("PostgreSQL could not archive WAL segment 000000010000000000000007:");
    }

    [Fact]
    public void Evaluate_OneFailureThenArchivedAgain_DoesNotFire()
    {
        var script = new AlertScript();

        script.Run(60, Archiving).Run(1, s => Failing(s) with { WalArchiveFailures = 1 }).Run(300, Archiving);

        script.Of(Rule).ShouldNotContain(t => t.To == AlertState.Firing);
        script.Active(Rule).ShouldBeNull();
    }

    [Fact]
    public void Evaluate_ServerThatDoesNotArchive_DoesNotFire()
    {
        var script = new AlertScript();

        script.Run(600, Healthy);

        script.Of(Rule).ShouldBeEmpty();
    }
}
