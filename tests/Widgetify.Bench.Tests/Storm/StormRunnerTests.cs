using System.Text.Json;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Tests.Storm;

public sealed class StormRunnerTests
{
    [Fact]
    public void ReportedBudget_ConnectionsCheck_Found()
    {
        // The shape of /health/ready (Widgetify.Api's HealthJsonWriter and ConnectionBudgetCheck).
        using var health = JsonDocument.Parse("""
            {"status":"pass","checks":{"database":[{"status":"pass","durationMs":1.2}],
             "connections":[{"status":"pass","output":"budget 87 for 1 instance",
              "observedValue":{"configuredMaxPoolSize":100,"appliedMaxPoolSize":87,"connectionBudget":87,"connectionShare":87,"instances":1},
              "durationMs":0.1}]}}
            """);

        StormRunner.ReportedBudget(health.RootElement).ShouldBe(87);
    }

    [Fact]
    public void ReportedBudget_BudgetDisabled_Null()
    {
        using var health = JsonDocument.Parse("""
            {"status":"pass","checks":{"connections":[{"status":"pass","observedValue":{"appliedMaxPoolSize":1000,"connectionBudget":"disabled"}}]}}
            """);

        StormRunner.ReportedBudget(health.RootElement).ShouldBeNull();
    }

    [Fact]
    public void ReportedBudget_Absent_Null()
    {
        using var health = JsonDocument.Parse("""{"status":"pass","checks":{"database":[{"status":"pass","observedValue":{"schemaVersion":3}}]}}""");

        StormRunner.ReportedBudget(health.RootElement).ShouldBeNull();
    }
}
