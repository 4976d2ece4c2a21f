using System.Xml.Linq;
using Widgetify.Incidents.Postmortems;

namespace Widgetify.Incidents.Tests.Postmortems;

public sealed class PostmortemChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Render_ResolvedIncident_MarksItsFourMomentsAtTheirTimes()
    {
        // Arrange: seconds -60 to +60 over the 870 px plot starting at x = 70.
        var report = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i));

        // Act
        var svg = XDocument.Parse(PostmortemChart.Render(new IncidentSeries(report)));

        // Assert
        var markers = svg.Descendants(Svg + "line").Where(l => (string?)l.Attribute("class") == "marker").Select(l => (string?)l.Attribute("x1"));
        markers.ShouldBe(["505", "577.5", "795", "940"]);
        svg.Descendants(Svg + "text").Select(t => t.Value).ShouldContain("resolved");
    }

    [Fact]
    public void Render_OpenIncident_HasNoMitigationOrResolutionMarker()
    {
        // Arrange
        var report = Reports.Build("PoolSaturation", ["PoolSaturation"], i => Reports.Sample(i), resolved: false);

        // Act
        var svg = XDocument.Parse(PostmortemChart.Render(new IncidentSeries(report)));

        // Assert
        svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "marker").ShouldBe(2);
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
        var p99 = svg.Descendants(Svg + "polyline").First(p => (string?)p.Attribute("stroke") == "#d62728");
        var points = ((string?)p99.Attribute("points")).ShouldNotBeNull().Split(' ');
        points.Length.ShouldBe(401);
        points.Count(p => p.EndsWith(",40", StringComparison.Ordinal)).ShouldBe(1, "the slow second is the top of the latency panel");
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
}
