using System.Text;
using Widgetify.Bench.Reporting;
using Widgetify.Bench.Storm;
using Widgetify.Bench.Tests.Storm;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class ShapeMarkdownTests
{
    [Fact]
    public void Write_OneShape_RowPerConfigurationWithKOverheadAndGoals()
    {
        ShapeRun[] runs =
        [
            ShapeGoalsTests.Run(5, peak: 1000, goodput: 950, stormP99: 20, cpuMs: 0.1),
            ShapeGoalsTests.Run(6, peak: 1250, goodput: 400, stormP99: 900, cpuMs: 0.1),
            new ShapeRun { Number = 4, Name = "PgBouncer", Failure = "pgbouncer exited" },
        ];
        var shape = new ShapeReport
        {
            Shape = "hot",
            Description = "GET /w/{id} of one widget",
            ReferenceNumber = 5,
            ReferencePeak = 1000,
            BaselineRate = 300,
            OfferedRate = 5000,
            Runs = runs,
            GuardOverhead = ShapeGoals.OverheadOf(runs),
        };
        var report = SampleReports.Report(SampleReports.Configuration(5, 950, 20)) with
        {
            Shapes = [shape with { Goals = ShapeGoals.Evaluate(shape) }],
            Affinity = "load generator on core 0",
            Overload = 5,
        };
        var md = new StringBuilder();

        ShapeMarkdown.Write(md, report);

        var text = md.ToString();
        text.ShouldContain("### hot: GET /w/{id} of one widget");
        text.ShouldContain("| 5 | config 5 | 1000 | 5000 → 1050 | 5.0 | 950 | 0.95 | 0.95 |");
        text.ShouldContain("| 6 | config 6 | 1250 | 5000 → 500 | 4.0 | 400 | 0.32 |");
        text.ShouldContain("| 4 | PgBouncer | - | failed: pgbouncer exited |");
        text.ShouldContain("saturation (each one's closed-loop peak) 1000 vs 1250 req/s (0.800x)");
        text.ShouldContain("| guard overhead ≤ 3% (normal load and saturation) | **missed** |");
        text.ShouldContain("load generator on core 0");
    }

    [Fact]
    public void Write_NoShapes_Nothing()
    {
        var md = new StringBuilder();

        ShapeMarkdown.Write(md, SampleReports.Report(SampleReports.Configuration(5, 950, 20)));

        md.Length.ShouldBe(0);
    }
}
