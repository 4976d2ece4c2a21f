using Widgetify.Bench.Reporting;
using Widgetify.Bench.Tests.Storm;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class ShapeFiguresTests
{
    [Theory]
    [InlineData(1000, 5000, 1000)] // overloaded: the peak is what could be served
    [InlineData(1000, 400, 400)]   // under the peak: only what was offered
    [InlineData(0, 400, 0)]
    public void Servable_MinOfPeakAndOffered(double peak, double offered, double expected)
    {
        ShapeFigures.Servable(peak, offered).ShouldBe(expected);
    }

    [Fact]
    public void Share_ZeroWhole_Null()
    {
        ShapeFigures.Share(5, 0).ShouldBeNull();
        ShapeFigures.Share(5, 10).ShouldBe(0.5);
    }

    [Fact]
    public void ShapeRun_Figures_FromItsPhases()
    {
        var run = ShapeGoalsTests.Run(5, peak: 2000, goodput: 900, stormP99: 50, baselineP99: 10, errors: 7, cpuMs: 0.25, offered: 10_000);

        run.K.ShouldBe(5);
        run.Servable.ShouldBe(2000);
        run.GoodputShare.ShouldBe(0.45);
        run.P99Ratio.ShouldBe(5);
        run.ErrorsOther.ShouldBe(7);
        run.NotSent.ShouldBe(7);
        run.ServiceCpuMsPerRequest!.Value.ShouldBe(0.25, 1e-9);
    }

    [Fact]
    public void ShapeRun_Failed_NoFigures()
    {
        var run = new ShapeRun { Number = 4, Name = "PgBouncer", Failure = "no" };

        run.K.ShouldBeNull();
        run.GoodputShare.ShouldBeNull();
        run.Servable.ShouldBe(0);
    }
}
