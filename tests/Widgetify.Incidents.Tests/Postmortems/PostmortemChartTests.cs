using System.Globalization;
using System.Xml.Linq;
using Widgetify.Incidents.Postmortems;

namespace Widgetify.Incidents.Tests.Postmortems;

public sealed class PostmortemChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Render_ResolvedIncident_MarksItsFourMomentsAtTheirTimes()
    {
        // Arrange: seconds -60 to +60 around the impact start; detected at +10, mitigated at +40, resolved at +60.
        var report = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i));

        // Act
        var svg = XDocument.Parse(PostmortemChart.Render(new IncidentSeries(report)));

        // Assert
        var (left, width) = Plot(svg, 0);
        var markers = svg.Descendants(Svg + "line").Where(l => Class(l) == "marker").Select(l => Number(l, "x1")).ToList();
        markers.Count.ShouldBe(4);
        double[] seconds = [0, 10, 40, 60];
        for (var i = 0; i < 4; i++)
        {
            markers[i].ShouldBe(left + (width * (seconds[i] + 60) / 120), 0.01);
        }

        var labels = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var moment in new[] { "impact", "detected", "mitigated", "resolved" })
        {
            labels.ShouldContain(moment);
        }
    }

    [Fact]
    public void Render_OpenIncident_HasNoMitigationOrResolutionMarker()
    {
        // Arrange
        var report = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i), resolved: false);

        // Act
        var svg = XDocument.Parse(PostmortemChart.Render(new IncidentSeries(report)));

        // Assert
        svg.Descendants(Svg + "line").Count(l => Class(l) == "marker").ShouldBe(2);
    }

    [Fact]
    public void Render_Incident_ThreePanelsTheSloLineAndTimesRelativeToTheImpact()
    {
        // Arrange
        var report = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i));

        // Act
        var svg = XDocument.Parse(PostmortemChart.Render(new IncidentSeries(report)));

        // Assert
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var title in new[] { "Latency (s)", "Connections", "Requests/s", "p50", "served p99", "pool used", "share", "pending", "shed", "5xx", "clients gave up" })
        {
            texts.ShouldContain(title);
        }

        texts.ShouldContain($"SLO p99 {report.SloLatencyP99Seconds.ToString(CultureInfo.InvariantCulture)}");
        svg.Descendants(Svg + "line").Count(l => Class(l) == "threshold").ShouldBe(1);
        var (left, width) = Plot(svg, 0);
        var impactTicks = svg.Descendants(Svg + "text").Where(t => t.Value == "+00:00").ToList();
        impactTicks.Count.ShouldBe(3, "one under each panel");
        Number(impactTicks[0], "x").ShouldBe(left + (width / 2), 0.01);
        texts.ShouldContain("-01:00");
        texts.ShouldContain("+01:00");
    }

    [Fact]
    public void Render_MoreSecondsThanPoints_KeepsTheWorstSecondOfEachSlot()
    {
        // Arrange: 1,201 seconds in slots of 3 give 401 points; second 301 is the only slow one.
        var report = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i));
        report = report with { Samples = [.. Enumerable.Range(-600, 1201).Select(i => Reports.Sample(i, servedP99: i == 301 ? 2 : 0.1))] };

        // Act
        var svg = XDocument.Parse(PostmortemChart.Render(new IncidentSeries(report)));

        // Assert
        var top = Number(svg.Descendants(Svg + "rect").First(r => Class(r) == "plot"), "y");
        var p99 = svg.Descendants(Svg + "polyline").First(p => (string?)p.Attribute("stroke") == "#d62728");
        var ys = ((string?)p99.Attribute("points")).ShouldNotBeNull().Split(' ').Select(p => double.Parse(p.Split(',')[1], CultureInfo.InvariantCulture)).ToList();
        ys.Count.ShouldBe(401);
        ys.Count(y => Math.Abs(y - top) < 0.01).ShouldBe(1, "the slow second is the top of the latency panel");
    }

    [Fact]
    public void Render_TitleWithMarkup_EscapesIt()
    {
        // Arrange
        var report = Reports.Build("<Pool&Co>", ["PoolSaturation"], i => Reports.Sample(i));

        // Act
        var svg = PostmortemChart.Render(new IncidentSeries(report));

        // Assert
        svg.ShouldContain("<title>&lt;Pool&amp;Co&gt;: trouble</title>");
        XDocument.Parse(svg).Root.ShouldNotBeNull().Name.ShouldBe(Svg + "svg");
    }

    private static string? Class(XElement element) => (string?)element.Attribute("class");

    private static double Number(XElement element, string attribute) =>
        double.Parse(((string?)element.Attribute(attribute)).ShouldNotBeNull(), CultureInfo.InvariantCulture);

    private static (double Left, double Width) Plot(XDocument svg, int panel)
    {
        var plot = svg.Descendants(Svg + "rect").Where(r => Class(r) == "plot").ElementAt(panel);
        return (Number(plot, "x"), Number(plot, "width"));
    }
}
