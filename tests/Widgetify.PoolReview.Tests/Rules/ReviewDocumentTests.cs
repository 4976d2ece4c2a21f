using System.Text.Json;
using Widgetify.PoolReview.Rules;
using static Widgetify.PoolReview.Tests.Rules.ReviewInputs;

namespace Widgetify.PoolReview.Tests.Rules;

public sealed class ReviewDocumentTests
{
    [Fact]
    public void Write_Feb15Review_StableDocumentWithNumbersWhereNumeric()
    {
        // Arrange
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(), instances: 3));

        // Act
        using var document = JsonDocument.Parse(ReviewDocument.Write(report));

        // Assert
        var root = document.RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["generatedAt", "servers", "instances", "findings", "applied", "nextReviewAt"]);
        root.GetProperty("generatedAt").GetDateTimeOffset().ShouldBe(At);
        root.GetProperty("instances").GetInt32().ShouldBe(3);
        var server = root.GetProperty("servers")[0];
        server.GetProperty("name").GetString().ShouldBe("primary");
        server.GetProperty("maxConnections").GetInt32().ShouldBe(100);
        server.GetProperty("cpuCores").ValueKind.ShouldBe(JsonValueKind.Null);
        var critical = root.GetProperty("findings")[0];
        critical.EnumerateObject().Select(p => p.Name).ShouldBe(["severity", "server", "setting", "current", "recommended", "reason"]);
        critical.GetProperty("severity").GetString().ShouldBe("critical");
        critical.GetProperty("setting").GetString().ShouldBe("Database:MaxPoolSize");
        critical.GetProperty("current").GetInt32().ShouldBe(1000);
        critical.GetProperty("recommended").GetInt32().ShouldBe(27);
    }
}
