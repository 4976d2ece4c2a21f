using Widgetify.Bench.Scale;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScaleMarkdownTests
{
    [Fact]
    public void Write_AllMet_TableOfEveryFigureWithGoalAndResultThenPhasesRatesAndDecisions()
    {
        // Arrange
        var report = SampleScaleReports.AllMet();

        // Act
        var md = ScaleMarkdown.Write(report);

        // Assert
        md.ShouldStartWith("# Read replicas: bench scale\n");
        md.ShouldContain("| figure | measured | goal | result |");
        md.ShouldContain("| surge 1: first saturated second → scale-out decision | 9.0 s (0 → 1: saturation above 1 in 9 of the last 10 s) | < 30 s (Aurora: minutes) | met |");
        md.Split('\n').Count(l => l.EndsWith("| met |", StringComparison.Ordinal)).ShouldBe(report.Figures.Count);
        md.ShouldContain("`Widgetify__Scaling__ScaleInWindow=00:00:45`");
        md.ShouldContain("| surge 1 | 0.0 | 24.0 | 2000 | 48,000 | 18,000 | 30,000 (30,000) | 0 | 12.5 | surge |");
        md.ShouldContain("| stale reads | 25.0 | 45.0 | - | - | - | - | - | - | pauses |");
        md.ShouldContain("| window | seconds | primary reads/s | standby-1 reads/s | generator 2xx/s |");
        md.ShouldContain("| surge 1: after | 4.0 | 0 | 1552 | 1659 |");
        md.ShouldContain("| 120.0 | in | 1 → 0 | succeeded | 1.5 | saturation below 0.50 \\| quiet; drained and removed standby-1 |");
    }

    [Fact]
    public void Write_AMissedFigureAndMisses_MissedInBoldAndListed()
    {
        var report = SampleScaleReports.AllMet();
        report = report with
        {
            Figures = [new ScaleFigure("kill -9: until /api/scaling shows the standby down", "never within the phase", "≤ 3 s", false)],
            Misses = ["kill: the standby was not killed within the phase"],
            Notes = ["2 of 500 polls of /api/scaling failed"],
        };

        var md = ScaleMarkdown.Write(report);

        md.ShouldContain("| kill -9: until /api/scaling shows the standby down | never within the phase | ≤ 3 s | **missed** |");
        md.ShouldContain("- Missed: kill: the standby was not killed within the phase\n");
        md.ShouldContain("- 2 of 500 polls of /api/scaling failed\n");
    }
}
