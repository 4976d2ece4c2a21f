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
            SampleReports.Configuration(1, 100, 4000), SampleReports.Failed(2, "x"), SampleReports.Configuration(5, 950, 12)));
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

    private static int Columns(string row) => row.Replace("\\|", "", StringComparison.Ordinal).Count(c => c == '|') - 1;
}
