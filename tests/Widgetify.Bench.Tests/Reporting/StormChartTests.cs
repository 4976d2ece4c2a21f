using System.Globalization;
using System.Xml.Linq;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class StormChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Write_Report_WellFormedWithTwoPanelsStormWindowAndLegend()
    {
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000), SampleReports.Configuration(5, 950, 12));

        var svg = XDocument.Parse(StormChart.Write(report));

        svg.Root!.Name.ShouldBe(Svg + "svg");
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        texts.ShouldContain("goodput (successful requests/s)");
        texts.ShouldContain("p99 latency of successful requests (log scale)");
        texts.Count(t => t == "storm").ShouldBe(2);
        texts.ShouldContain("1 config 1");
        texts.ShouldContain("5 config 5");
        svg.Descendants(Svg + "rect").Count(r => (string?)r.Attribute("fill") == "#fde3e3").ShouldBe(2);
    }

    [Fact]
    public void Write_Report_StormWindowShadedOverItsSeconds()
    {
        // The sample run: 2 s baseline, 2 s storm, 2 s recovery, ticks from 0 to 6.
        var report = SampleReports.Report(SampleReports.Configuration(5, 950, 12));

        var svg = XDocument.Parse(StormChart.Write(report));

        var plot = svg.Descendants(Svg + "rect").First(r => (string?)r.Attribute("class") == "plot");
        var (left, width) = (Number(plot, "x"), Number(plot, "width"));
        var storm = svg.Descendants(Svg + "rect").First(r => (string?)r.Attribute("class") == "range");
        Number(storm, "x").ShouldBe(left + (width * 2 / 6), 0.01);
        Number(storm, "width").ShouldBe(width * 2 / 6, 0.02);
    }

    [Fact]
    public void Write_Latency_LogScaleLabelledInMillisecondsAndSeconds()
    {
        // Configuration 5's p99 starts at 4 ms, configuration 1's climbs to 8 s: the log axis spans 1 ms to 10 s.
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000), SampleReports.Configuration(5, 950, 12));

        var texts = XDocument.Parse(StormChart.Write(report)).Descendants(Svg + "text").Select(t => t.Value).ToList();

        foreach (var decade in new[] { "1 ms", "10 ms", "100 ms", "1 s", "10 s" })
        {
            texts.ShouldContain(decade);
        }
    }

    [Fact]
    public void Write_SecondWithoutSuccess_BreaksTheLatencyLine()
    {
        // Configuration 1 has no p99 in second 3: its latency line is two pieces (3 seconds, then 2).
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000));

        var svg = XDocument.Parse(StormChart.Write(report));

        svg.Descendants(Svg + "polyline").Select(p => ((string?)p.Attribute("points"))!.Split(' ').Length).ShouldBe([6, 3, 2]);
    }

    [Fact]
    public void Write_Widgetify_DrawnThicker()
    {
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000), SampleReports.Configuration(5, 950, 12));

        var svg = XDocument.Parse(StormChart.Write(report));

        var widths = svg.Descendants(Svg + "polyline").GroupBy(p => (string?)p.Attribute("stroke")).ToDictionary(g => g.Key!, g => g.Select(p => Number(p, "stroke-width")).Distinct().Single());
        widths["#2ca02c"].ShouldBeGreaterThan(widths["#d62728"]);
    }

    [Fact]
    public void Write_FailedConfiguration_InLegendOnly()
    {
        var report = SampleReports.Report(SampleReports.Failed(4, "no pgbouncer"), SampleReports.Configuration(5, 950, 12));

        var svg = StormChart.Write(report);

        svg.ShouldContain("4 config 4: failed");
        XDocument.Parse(svg).Descendants(Svg + "polyline").Count().ShouldBe(2);
    }

    private static double Number(XElement element, string attribute) =>
        double.Parse(((string?)element.Attribute(attribute)).ShouldNotBeNull(), CultureInfo.InvariantCulture);
}
