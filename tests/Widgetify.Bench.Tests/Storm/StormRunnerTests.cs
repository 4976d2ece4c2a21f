using System.Text.Json;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Tests.Storm;

public sealed class StormRunnerTests
{
    [Fact]
    public void FindInt_NestedInHealthJson_Found()
    {
        using var health = JsonDocument.Parse("""
            {"status":"pass","checks":{"database":[{"status":"pass"}],
             "connectionBudget":[{"status":"pass","observedValue":{"appliedMaxPoolSize":87,"connectionBudget":87}}]}}
            """);

        StormRunner.FindInt(health.RootElement, "connectionBudget").ShouldBe(87);
    }

    [Fact]
    public void FindInt_Absent_Null()
    {
        using var health = JsonDocument.Parse("""{"status":"pass","checks":{"database":[{"status":"pass","observedValue":{"schemaVersion":3}}]}}""");

        StormRunner.FindInt(health.RootElement, "connectionBudget").ShouldBeNull();
    }
}
