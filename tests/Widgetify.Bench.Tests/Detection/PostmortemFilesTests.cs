using Widgetify.Bench.Detection;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Tests.Detection;

public sealed class PostmortemFilesTests : IDisposable
{
    private static readonly DateTimeOffset Resolved = new(2026, 11, 21, 10, 0, 41, TimeSpan.Zero);

    private readonly string directory = Directory.CreateTempSubdirectory("widgetify-bench-drafts-").FullName;

    [Fact]
    public void Find_ReportedPathExists_ThatPath()
    {
        var draft = Write("20261121-1000-019aa6b1.md", Resolved);

        PostmortemFiles.Find(Incident(draft), directory).ShouldBe(draft);
    }

    [Fact]
    public void Find_NoPathReportedYet_DraftNamedWithThePrefixWrittenAfterResolution()
    {
        Write("20261121-0958-019aa6b1.md", Resolved.AddMinutes(-2)); // an earlier incident with the same time-based prefix
        var draft = Write("20261121-1000-019aa6b1.md", Resolved.AddSeconds(1));

        PostmortemFiles.Find(Incident(null), directory).ShouldBe(draft);
    }

    [Fact]
    public void Find_ReportedPathMissingAndNoDraft_Null()
    {
        PostmortemFiles.Find(Incident(Path.Combine(directory, "gone.md")), directory).ShouldBeNull();
    }

    [Fact]
    public void CopyToOutput_DraftAndChart_BothCopied()
    {
        var draft = Write("20261121-1000-019aa6b1.md", Resolved);
        Write("20261121-1000-019aa6b1.svg", Resolved);
        var output = Path.Combine(directory, "out");

        var copy = PostmortemFiles.CopyToOutput(draft, output);

        copy.ShouldBe(Path.Combine("postmortems", "20261121-1000-019aa6b1.md"));
        File.Exists(Path.Combine(output, copy)).ShouldBeTrue();
        File.Exists(Path.Combine(output, "postmortems", "20261121-1000-019aa6b1.svg")).ShouldBeTrue();
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string name, DateTimeOffset at)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, "# draft");
        File.SetLastWriteTimeUtc(path, at.UtcDateTime);
        return path;
    }

    private static PolledIncident Incident(string? postmortem) => new(
        MonitoringSamples.StormIncident, "t", "resolved", Resolved.AddSeconds(-41), Resolved.AddSeconds(-39.5), Resolved.AddSeconds(-33.6), Resolved,
        1.5, 7.4, 41, [], new IncidentImpactResult(1, 0, 0, 0, 1, 0, 0, false), postmortem);
}
