using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Reporting;

public sealed class MarkdownReportWriterTests
{
    [Fact]
    public void Write_Report_HasCommandMachineAndOneRowPerConfiguration()
    {
        var report = SampleReports.Report(SampleReports.Configuration(1, 100, 4000), SampleReports.Configuration(5, 950, 12));

        var markdown = MarkdownReportWriter.Write(report);

        markdown.ShouldContain("`./widgetify bench storm --configs 1,5`");
        markdown.ShouldContain("2 cores");
        markdown.ShouldContain("PostgreSQL 15.18");
        markdown.ShouldContain("max_connections 100");
        markdown.ShouldContain("Capacity: 1000 req/s");
        markdown.ShouldContain("| 1 | config 1 | ");
        markdown.ShouldContain("| 5 | config 5 | ");
        markdown.ShouldContain("| 4000.0 |");
    }

    [Fact]
    public void Write_Targets_MetAndMissedMarked_PipesEscaped()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(SampleReports.Configuration(5, 950, 12)));

        markdown.ShouldContain("| goodput ≥ 90% of capacity | met | 950 req/s |");
        markdown.ShouldContain("| recovered within 2 s | **missed** | not within 2 s \\| x |");
    }

    [Fact]
    public void Write_FailedConfiguration_RowSaysWhy()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(
            SampleReports.Failed(3, "Unknown setting 'Widgetify:Admission:Mode'\nat line 2"), SampleReports.Configuration(5, 950, 12)));

        markdown.ShouldContain("| 3 | config 3 | failed: Unknown setting 'Widgetify:Admission:Mode' at line 2 |");
    }

    [Fact]
    public void Write_EveryTableRow_HasTheHeadersColumnCount()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(
            SampleReports.Configuration(1, 100, 4000).With(SampleReports.Detection(alertAfter: null, incident: false)),
            SampleReports.Failed(2, "x"),
            SampleReports.Configuration(3, 300, 900).With(new DetectionResult { NotMeasured = "x" }),
            SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection())));
        var tables = markdown.Split("\n\n").Where(block => block.StartsWith('|'));

        foreach (var table in tables)
        {
            var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var columns = Columns(rows[0]);
            foreach (var row in rows)
            {
                Columns(row).ShouldBe(columns, row);
            }
        }
    }

    [Fact]
    public void Write_Detection_RowPerConfigurationWithTimesAndTargets()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(
            SampleReports.Configuration(1, 100, 4000).With(SampleReports.Detection(alertAfter: null, incident: false)),
            SampleReports.Configuration(3, 300, 900).With(SampleReports.Detection(alertAfter: 6.5, mitigatedAfter: null, resolvedAfter: null)),
            SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection(alertAfter: 3.2, mitigatedAfter: 7.4, resolvedAfter: 41))));

        markdown.ShouldContain("## Detection and incident");
        markdown.ShouldContain("| 1 | config 1 | none | - | no | no | - | - | - | **missed** / **missed** / **missed** |");
        markdown.ShouldContain("| 3 | config 3 | SheddingActive | 6.5 | yes (019aa6b1, detected 6.5 s) | no | not within 45 s | - (not resolved) | 33.3% failed or shed; 90.1% of 2,000 clients affected | **missed** / **missed** / n/a |");
        markdown.ShouldContain("| 5 | config 5 | SheddingActive | 3.2 | yes (019aa6b1, detected 3.2 s) | 7.4 s | 41.0 s | written | 33.3% failed or shed; 90.1% of 2,000 clients affected | met / met / met |");
        markdown.ShouldContain("- Detection: targets: alert ≤ 5 s after the storm's onset, incident mitigated ≤ 10 s after onset, postmortem draft written on resolution. 1 config 1: **missed** / **missed** / **missed** (no alert); 3 config 3: **missed** / **missed** / n/a (SheddingActive after 6.5 s); 5 config 5: met / met / met (SheddingActive after 3.2 s).");
        markdown.ShouldContain("- 3 config 3: alerts fired after onset: SheddingActive, ResponseTimeSpike;");
        markdown.ShouldContain("still active at the last poll: ErrorBudgetBurn (firing)");
        markdown.ShouldContain("draft copied to postmortems/20261121-1000-019aa6b1.md");
    }

    [Fact]
    public void Write_ResolvedWithoutDraft_PostmortemMissingInBold()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(
            SampleReports.Configuration(5, 950, 12).With(SampleReports.Detection(postmortem: false))));

        markdown.ShouldContain("| 41.0 s | **missing** |");
        markdown.ShouldContain("met / met / **missed** |");
    }

    [Fact]
    public void Write_NoDetectionMeasured_NoDetectionSection()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(SampleReports.Configuration(5, 950, 12)));

        markdown.ShouldNotContain("Detection");
    }

    [Fact]
    public void Write_DetectionNotMeasured_RowSaysWhy()
    {
        var markdown = MarkdownReportWriter.Write(SampleReports.Report(
            SampleReports.Configuration(5, 950, 12).With(new DetectionResult { NotMeasured = "no operator key | none" })));

        markdown.ShouldContain("| 5 | config 5 | not measured: no operator key \\| none | | | | | | | **missed** / **missed** / **missed** |");
    }

    private static int Columns(string row) => row.Replace("\\|", "", StringComparison.Ordinal).Count(c => c == '|') - 1;
}
