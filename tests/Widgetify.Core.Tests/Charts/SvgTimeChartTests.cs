using System.Globalization;
using System.Xml.Linq;
using Widgetify.Core.Charts;

namespace Widgetify.Core.Tests.Charts;

public sealed class SvgTimeChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Write_TextWithMarkup_EscapesEveryText()
    {
        // Arrange: markup in every text the caller gives, and a quote in a colour that ends up in an attribute.
        const string Nasty = "<script>alert('x')</script> & \"q\"";
        var chart = new TimeChart
        {
            Title = "title " + Nasty,
            Panels =
            [
                new TimePanel
                {
                    Title = "panel " + Nasty,
                    Series = [new TimeSeries("series " + Nasty, "red\" onload=\"x", Points((0, 1), (1, 2)))],
                    Thresholds = [new AxisMark(1.5, "threshold " + Nasty)],
                },
            ],
            Markers = [new AxisMark(0.5, "marker " + Nasty)],
            ShadedRanges = [new ShadedRange(0.2, 0.4, "range " + Nasty)],
            XTicks = [new AxisMark(1, "tick " + Nasty)],
            Caption = "caption " + Nasty,
        };

        // Act
        var text = SvgTimeChart.Write(chart);
        var svg = XDocument.Parse(text);

        // Assert
        text.ShouldNotContain("<script");
        svg.Descendants().Where(e => e.Name.LocalName is "script" or "foreignObject").ShouldBeEmpty();
        svg.Descendants().Attributes().Where(a => a.Name.LocalName.StartsWith("on", StringComparison.Ordinal)).ShouldBeEmpty();
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var expected in new[] { "title", "panel", "series", "marker", "range", "tick", "caption" })
        {
            texts.ShouldContain($"{expected} {Nasty}");
        }

        texts.ShouldContain($"threshold {Nasty} 1.5");
        svg.Root.ShouldNotBeNull().Element(Svg + "title").ShouldNotBeNull().Value.ShouldBe("title " + Nasty);
        svg.Descendants(Svg + "polyline").Single().Attribute("stroke").ShouldNotBeNull().Value.ShouldBe("red\" onload=\"x");
    }

    [Fact]
    public void Write_CharacterXmlCannotHold_ReplacedSoTheDocumentStillParses()
    {
        // Arrange: a control character and a lone surrogate; a real surrogate pair must survive.
        var chart = Chart(new TimeSeries("a\u0001b\uD800c 😀", "#000", Points((0, 1), (1, 2))));

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        svg.Descendants(Svg + "text").Select(t => t.Value).ShouldContain("a\uFFFDb\uFFFDc 😀");
    }

    [Fact]
    public void Write_NoExternalReferenceOrScript_OnlyTheSvgNamespace()
    {
        // Arrange
        var chart = Chart(new TimeSeries("a", "#000", Points((0, 1), (1, 2))));

        // Act
        var text = SvgTimeChart.Write(chart);

        // Assert: the namespace is an identifier, nothing fetches it.
        var withoutNamespace = text.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal);
        foreach (var reference in new[] { "http", "href", "url(", "<script", "<image", "@import" })
        {
            withoutNamespace.ShouldNotContain(reference);
        }
    }

    [Fact]
    public void Write_MissingValuesInSeries_BreakTheLine()
    {
        // Arrange: null and NaN are gaps: points 0-1, then 3-5, then 7 alone.
        var chart = Chart(new TimeSeries("a", "#000", Points((0, 1), (1, 2), (2, null), (3, 1), (4, 3), (5, 2), (6, double.NaN), (7, 1))));

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        svg.Descendants(Svg + "polyline").Select(p => PointsOf(p).Count).ShouldBe([2, 3]);
        svg.Descendants(Svg + "circle").Count().ShouldBe(1);
    }

    [Fact]
    public void Write_OnePointSeries_DrawnAsADotInsideThePlot()
    {
        // Arrange: one point is also the whole x axis, which still needs a width.
        var chart = Chart(new TimeSeries("a", "#123456", Points((5, 2))));

        // Act
        var text = SvgTimeChart.Write(chart);
        var svg = XDocument.Parse(text);

        // Assert
        text.ShouldNotContain("NaN");
        text.ShouldNotContain("Infinity");
        svg.Descendants(Svg + "polyline").ShouldBeEmpty();
        var dot = svg.Descendants(Svg + "circle").Single();
        ((string?)dot.Attribute("fill")).ShouldBe("#123456");
        var plot = PlotOf(svg, 0);
        Number(dot, "cx").ShouldBe(plot.Left, 0.01);
        Number(dot, "cy").ShouldBeInRange(plot.Top, plot.Bottom);
    }

    [Fact]
    public void Write_EmptySeries_InTheLegendWithoutASwatchOrLine()
    {
        // Arrange
        var chart = Chart(new TimeSeries("drawn", "#111111", Points((0, 1), (1, 2))), new TimeSeries("failed", "#888888", []));

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "legend").Select(t => t.Value).ShouldBe(["drawn", "failed"]);
        svg.Descendants(Svg + "polyline").Count().ShouldBe(1);
        svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("stroke") == "#888888").ShouldBe(0);
        svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("stroke") == "#111111").ShouldBe(1);
    }

    [Fact]
    public void Write_NoPanels_StillAWellFormedDocumentWithItsTitle()
    {
        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(new TimeChart { Title = "nothing yet", Panels = [] }));

        // Assert
        svg.Root.ShouldNotBeNull().Name.ShouldBe(Svg + "svg");
        svg.Descendants(Svg + "text").Select(t => t.Value).ShouldBe(["nothing yet"]);
    }

    [Fact]
    public void Write_LogScale_EachDecadeTheSameHeightAndNonPositiveValuesAreGaps()
    {
        // Arrange: 1, 10 and 100 ms, then zero (no p99 can be drawn), then 1000.
        var chart = Chart(new TimeSeries("p99", "#000", Points((0, 1), (1, 10), (2, 100), (3, 0), (4, 1000))), log: true);

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        var run = PointsOf(svg.Descendants(Svg + "polyline").Single());
        run.Count.ShouldBe(3);
        (run[0].Y - run[1].Y).ShouldBe(run[1].Y - run[2].Y, 0.02);
        var plot = PlotOf(svg, 0);
        run[0].Y.ShouldBe(plot.Bottom, 0.01, "1 is the lowest decade");
        Number(svg.Descendants(Svg + "circle").Single(), "cy").ShouldBe(plot.Top, 0.01, "1000 is the highest decade");
        AxisLabels(svg).ShouldBe(["1", "10", "100", "1000"]);
    }

    [Fact]
    public void Write_LinearScale_FromZeroToARoundCeiling()
    {
        // Arrange
        var chart = Chart(new TimeSeries("goodput", "#000", Points((0, 730), (1, 365))));

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        AxisLabels(svg).ShouldBe(["0", "250", "500", "750", "1000"]);
        var plot = PlotOf(svg, 0);
        var run = PointsOf(svg.Descendants(Svg + "polyline").Single());
        run[0].Y.ShouldBe(plot.Bottom - (plot.Height * 0.73), 0.01);
        run[1].Y.ShouldBe(plot.Bottom - (plot.Height * 0.365), 0.01);
    }

    [Fact]
    public void Write_Threshold_DashedLineAtItsValueWithRoomAboveAndItsLabel()
    {
        // Arrange: the data stays far below the threshold, which the axis must still show.
        var chart = new TimeChart
        {
            Title = "t",
            Panels =
            [
                new TimePanel
                {
                    Title = "Latency (s)",
                    Series = [new TimeSeries("p99", "#000", Points((0, 0.1), (1, 0.2)))],
                    Thresholds = [new AxisMark(0.5, "SLO p99") { Color = "#ff0000" }],
                },
            ],
        };

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        var plot = PlotOf(svg, 0);
        var line = svg.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "threshold");
        ((string?)line.Attribute("stroke-dasharray")).ShouldNotBeNullOrEmpty();
        ((string?)line.Attribute("stroke")).ShouldBe("#ff0000");
        Number(line, "y1").ShouldBe(plot.Bottom - (plot.Height / 2), 0.01, "0.5 with room above it gives an axis up to 1");
        svg.Descendants(Svg + "text").Select(t => t.Value).ShouldContain("SLO p99 0.5");
    }

    [Fact]
    public void Write_MarkersAndShadedRange_AtTheirXAcrossEveryPanel()
    {
        // Arrange: x from 0 to 100 (set by the points); a marker at 25, a range from 40 to 60, and one beyond the points.
        var series = new TimeSeries("a", "#000", Points((0, 1), (100, 2)));
        var chart = new TimeChart
        {
            Title = "t",
            Panels = [new TimePanel { Title = "one", Series = [series] }, new TimePanel { Title = "two", Series = [series] }],
            Markers = [new AxisMark(25, "detected")],
            ShadedRanges = [new ShadedRange(40, 60, "storm") { Color = "#fde3e3" }],
        };

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        var (first, second) = (PlotOf(svg, 0), PlotOf(svg, 1));
        var marker = svg.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "marker");
        Number(marker, "x1").ShouldBe(first.Left + (first.Width * 0.25), 0.01);
        Number(marker, "y1").ShouldBe(first.Top, 0.01);
        Number(marker, "y2").ShouldBe(second.Bottom, 0.01);
        var ranges = svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "range").ToList();
        ranges.Count.ShouldBe(2);
        ranges.ShouldAllBe(r => (string?)r.Attribute("fill") == "#fde3e3");
        Number(ranges[0], "x").ShouldBe(first.Left + (first.Width * 0.4), 0.01);
        Number(ranges[0], "width").ShouldBe(first.Width * 0.2, 0.02);
        Number(ranges[1], "y").ShouldBe(second.Top, 0.01);
        svg.Descendants(Svg + "text").Count(t => t.Value == "storm").ShouldBe(2);
    }

    [Fact]
    public void Write_MarkerBeyondThePoints_WidensTheXAxisToShowIt()
    {
        // Arrange: points over 0-50, a resolution marked at 100.
        var chart = new TimeChart
        {
            Title = "t",
            Panels = [new TimePanel { Title = "p", Series = [new TimeSeries("a", "#000", Points((0, 1), (50, 2)))] }],
            Markers = [new AxisMark(100, "resolved")],
        };

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        var plot = PlotOf(svg, 0);
        Number(svg.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "marker"), "x1").ShouldBe(plot.Right, 0.01);
        var label = svg.Descendants(Svg + "text").Single(t => t.Value == "resolved");
        ((string?)label.Attribute("text-anchor")).ShouldBe("end", "a label at the right edge ends at its marker, inside the document");
        Number(label, "x").ShouldBeLessThan(plot.Right);
        PointsOf(svg.Descendants(Svg + "polyline").Single())[1].X.ShouldBe(plot.Left + (plot.Width / 2), 0.01);
    }

    [Fact]
    public void Write_XTicks_LabelledUnderEveryPanel()
    {
        // Arrange
        var series = new TimeSeries("a", "#000", Points((0, 1), (10, 2)));
        var chart = new TimeChart
        {
            Title = "t",
            Panels = [new TimePanel { Title = "one", Series = [series] }, new TimePanel { Title = "two", Series = [series] }],
            XTicks = [new AxisMark(0, "+00:00"), new AxisMark(5, "+00:05"), new AxisMark(10, "+00:10")],
        };

        // Act
        var svg = XDocument.Parse(SvgTimeChart.Write(chart));

        // Assert
        var plot = PlotOf(svg, 0);
        var middle = svg.Descendants(Svg + "text").Where(t => t.Value == "+00:05").ToList();
        middle.Count.ShouldBe(2);
        Number(middle[0], "x").ShouldBe(plot.Left + (plot.Width / 2), 0.01);
        Number(middle[0], "y").ShouldBeGreaterThan(plot.Bottom);
    }

    [Fact]
    public void Write_SameChartUnderAnotherCulture_SameBytesWithPointDecimals()
    {
        // Arrange: a culture that writes decimals with a comma, as de-DE does.
        var chart = Chart(new TimeSeries("a", "#000", Points((0, 0.125), (1.5, 0.25), (3, 0.3333))));
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.NumberGroupSeparator = ".";
        var invariant = SvgTimeChart.Write(chart);
        var previous = CultureInfo.CurrentCulture;

        // Act
        string underComma;
        try
        {
            CultureInfo.CurrentCulture = comma;
            underComma = SvgTimeChart.Write(chart);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        // Assert
        underComma.ShouldBe(invariant);
        underComma.ShouldBe(SvgTimeChart.Write(chart));
        PointsOf(XDocument.Parse(underComma).Descendants(Svg + "polyline").Single()).Count.ShouldBe(3);
    }

    [Fact]
    public void Write_TooNarrowForTheLegend_SaysWhatToChange()
    {
        // Arrange
        var chart = new TimeChart
        {
            Title = "t",
            Width = 300,
            Panels = [new TimePanel { Title = "p", Series = [new TimeSeries(new string('x', 40), "#000", [])] }],
        };

        // Act
        var error = Should.Throw<ArgumentException>(() => SvgTimeChart.Write(chart));

        // Assert
        error.Message.ShouldContain("TimeChart.Width");
    }

    private static TimeChart Chart(params TimeSeries[] series) => Chart(series, log: false);

    private static TimeChart Chart(TimeSeries series, bool log) => Chart([series], log);

    private static TimeChart Chart(TimeSeries[] series, bool log) => new()
    {
        Title = "chart",
        Panels = [new TimePanel { Title = "panel", Series = series, LogScale = log }],
    };

    private static TimePoint[] Points(params (double X, double? Y)[] points) => [.. points.Select(p => new TimePoint(p.X, p.Y))];

    private static double Number(XElement element, string attribute) =>
        double.Parse((string?)element.Attribute(attribute) ?? throw new InvalidOperationException($"no {attribute}"), CultureInfo.InvariantCulture);

    private static List<(double X, double Y)> PointsOf(XElement polyline) =>
        [.. ((string?)polyline.Attribute("points")).ShouldNotBeNull().Split(' ')
            .Select(p => p.Split(','))
            .Select(xy => (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture)))];

    private static (double Left, double Top, double Width, double Height, double Right, double Bottom) PlotOf(XDocument svg, int panel)
    {
        var plot = svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "plot").ElementAt(panel);
        var (left, top, width, height) = (Number(plot, "x"), Number(plot, "y"), Number(plot, "width"), Number(plot, "height"));
        return (left, top, width, height, left + width, top + height);
    }

    /// <summary>The y axis's labels, bottom to top: the texts right-aligned left of the plot.</summary>
    private static List<string> AxisLabels(XDocument svg)
    {
        var left = PlotOf(svg, 0).Left;
        return [.. svg.Descendants(Svg + "text")
            .Where(t => (string?)t.Attribute("text-anchor") == "end" && Number(t, "x") < left)
            .OrderByDescending(t => Number(t, "y"))
            .Select(t => t.Value)];
    }
}
