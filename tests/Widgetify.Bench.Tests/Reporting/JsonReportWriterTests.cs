using System.Text.Json;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class JsonReportWriterTests
{
    [Fact]
    public void Write_Report_RoundTrips()
    {
        var report = SampleReports.Report(SampleReports.Configuration(2, 300, 2000), SampleReports.Configuration(5, 950, 12));

        var back = JsonReportWriter.Read(JsonReportWriter.Write(report))!;

        back.Configurations.Count.ShouldBe(2);
        back.Configurations[1].Storm!.Goodput.ShouldBe(950);
        back.Configurations[1].Series.Count.ShouldBe(6);
        back.Configurations[0].StatusCounts[503].ShouldBe(1000);
        back.Capacity.Steps.Count.ShouldBe(2);
        back.Targets[1].Met.ShouldBe(false);
    }

    [Fact]
    public void Write_Report_CamelCaseWithTimeSeries()
    {
        using var json = JsonDocument.Parse(JsonReportWriter.Write(SampleReports.Report(SampleReports.Configuration(5, 950, 12))));

        var configuration = json.RootElement.GetProperty("configurations")[0];
        configuration.GetProperty("storm").GetProperty("p99Ms").GetDouble().ShouldBe(12);
        configuration.GetProperty("series")[0].GetProperty("pgConnections").GetInt32().ShouldBe(50);
        json.RootElement.GetProperty("machine").GetProperty("maxConnections").GetInt32().ShouldBe(100);
    }

    [Fact]
    public void Write_Detection_RoundTripsWithTimesAndTargets()
    {
        var report = SampleReports.Report(SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection(alertAfter: 3.2, mitigatedAfter: 7.4, resolvedAfter: 41)));

        var json = JsonReportWriter.Write(report);
        var back = JsonReportWriter.Read(json)!.Configurations[0];

        back.Detection!.SecondsToFirstAlert.ShouldBe(3.2);
        back.Detection.FirstAlert.ShouldBe("SheddingActive");
        back.Detection.Incident!.MitigatedAfterOnsetSeconds.ShouldBe(7.4);
        back.Detection.Incident.ResolvedAfterOnsetSeconds.ShouldBe(41);
        back.Detection.Incident.PostmortemWritten.ShouldBeTrue();
        back.Detection.Incident.Impact.ClientsAffectedPercent.ShouldBe(90.1);
        back.DetectionTargets.Select(t => t.Met).ShouldBe([true, true, true]);
        using var document = JsonDocument.Parse(json);
        var detection = document.RootElement.GetProperty("configurations")[0].GetProperty("detection");
        detection.GetProperty("onsetUtc").GetString().ShouldBe("2026-11-21T10:00:00+00:00");
        detection.GetProperty("incident").GetProperty("timeToMitigateSeconds").GetDouble().ShouldBe(7.4);
    }
}
