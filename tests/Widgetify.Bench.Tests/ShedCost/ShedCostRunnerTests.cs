using System.Net;
using Widgetify.Bench.ShedCost;

namespace Widgetify.Bench.Tests.ShedCost;

public sealed class ShedCostRunnerTests
{
    [Fact]
    public void Markdown_TwoRuns_EachShedRatioIsAgainstTheServedEmbedOfItsOwnRun()
    {
        // Arrange
        var settings = new ShedCostSettings { ServiceDll = "widgetify.dll", OutputDirectory = "out", CommandLine = "./widgetify bench shed-cost" };
        ShedCostRow[] rows =
        [
            new("served", true, HttpStatusCode.OK, 1000, 0, 1, 0.2, 0, 200, 210),
            new("shed before routing", true, HttpStatusCode.ServiceUnavailable, 5000, 0, 1, 0.1, 0, 20, 21),
            new("served", false, HttpStatusCode.OK, 1000, 0, 1, 0.25, 0, 250, 260),
            new("shed after routing", false, HttpStatusCode.ServiceUnavailable, 5000, 2, 1, 0.1, 0, 25, 26),
        ];

        // Act
        var text = ShedCostRunner.Markdown(rows, "abc123", settings);

        // Assert
        text.ShouldContain("| on | shed before routing | 5000 | 20.0 | 21.0 | 0.100 | 5000 | 0 |");
        text.ShouldContain("| off | shed after routing | 5000 | 25.0 | 26.0 | 0.100 | 5000 | 2 |");
        text.ShouldContain("`./widgetify bench shed-cost`, service abc123");
    }
}
