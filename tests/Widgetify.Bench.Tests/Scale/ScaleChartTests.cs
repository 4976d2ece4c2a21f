using System.Xml.Linq;
using Widgetify.Bench.Scale;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScaleChartTests
{
    [Fact]
    public void Write_WholeRun_FivePanelsPhasesShadedDecisionsAndTheKillMarked()
    {
        // Arrange
        var report = SampleScaleReports.AllMet();

        // Act
        var svg = ScaleChart.Write(report);

        // Assert
        var texts = XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        foreach (var title in new[] { "standbys", "read-path saturation as the autoscaler took it in (1 = at target; log scale)", "reads/s", "p99 of successful reads (log scale)", "largest standby lag (s)" })
        {
            texts.ShouldContain(title);
        }

        texts.ShouldContain("surge 1");
        texts.ShouldContain("stale reads");
        texts.ShouldContain("out 0→1");
        texts.ShouldContain("in 1→0");
        texts.ShouldContain("kill -9");
    }
}
