using System.Xml.Linq;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class SvgChartWriterTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Write_Report_WellFormedWithTwoPanelsStormWindowAndLegend()
    {
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000), SampleReports.Configuration(5, 950, 12));

        var svg = XDocument.Parse(SvgChartWriter.Write(report));

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
    public void Write_SecondWithoutSuccess_BreaksTheLatencyLine()
    {
        // Configuration 1 has no p99 in second 3: its latency line is two pieces (3 seconds, then 2).
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000));

        var svg = XDocument.Parse(SvgChartWriter.Write(report));

        svg.Descendants(Svg + "polyline").Count().ShouldBe(1 + 2);
    }

    [Fact]
    public void Write_FailedConfiguration_InLegendOnly()
    {
        var report = SampleReports.Report(SampleReports.Failed(4, "no pgbouncer"), SampleReports.Configuration(5, 950, 12));

        var svg = SvgChartWriter.Write(report);

        svg.ShouldContain("4 config 4: failed");
        XDocument.Parse(svg).Descendants(Svg + "polyline").Count().ShouldBe(2);
    }

    [Fact]
    public void Runs_NullsInSeries_SplitIntoRuns()
    {
        SecondResult Second(int s, double? p99) => new(s, "storm", 1, 1, 0, 0, p99, null);

        var runs = SvgChartWriter.Runs([Second(0, 1), Second(1, null), Second(2, 2), Second(3, 3), Second(4, null)]);

        runs.Select(r => r.Count).ShouldBe([1, 2]);
    }

    [Theory]
    [InlineData(0.7, 1)]
    [InlineData(1, 1)]
    [InlineData(1.2, 2)]
    [InlineData(3, 5)]
    [InlineData(730, 1000)]
    [InlineData(1800, 2000)]
    public void NiceCeiling_Value_OneTwoOrFiveTimesAPowerOfTen(double value, double expected)
    {
        SvgChartWriter.NiceCeiling(value).ShouldBe(expected, 1e-9);
    }
}
