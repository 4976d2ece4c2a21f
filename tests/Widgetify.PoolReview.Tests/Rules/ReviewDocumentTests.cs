using System.Text.Json;
using Widgetify.PoolReview.Applied;
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
        critical.GetProperty("recommended").GetInt32().ShouldBe(26); // (100 - 3 - 10 - 3 x 2 own connections - 2 seats) / 3
    }

    [Fact]
    public void Write_FromTheCli_NoAppliedSettingsAndNoNextReview()
    {
        // Arrange
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(), instances: 3));

        // Act
        using var document = JsonDocument.Parse(ReviewDocument.Write(report));

        // Assert
        document.RootElement.GetProperty("applied").GetArrayLength().ShouldBe(0);
        document.RootElement.GetProperty("nextReviewAt").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public void Write_AppliedSettingsAndNextReview_ListedNewestFirstInUtc()
    {
        // Arrange: two changes, newest first, one stamped in another offset; the next review a day later.
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 27), Facts(), instances: 3));
        var applied = new[]
        {
            new AppliedSetting("Database:MaxPoolSize", "primary", 27, 9, new DateTimeOffset(2026, 2, 15, 10, 0, 0, TimeSpan.FromHours(2)), "ops@host-1", "Far larger than needed."),
            new AppliedSetting("Database:MaxPoolSize", "primary", null, 27, At.AddHours(-1), "ops@host-2", "Feb 15: 3 x 1001 > 97."),
        };

        // Act
        using var document = JsonDocument.Parse(ReviewDocument.Write(report, applied, At.AddDays(1)));

        // Assert
        var root = document.RootElement;
        var newest = root.GetProperty("applied")[0];
        newest.EnumerateObject().Select(p => p.Name).ShouldBe(["setting", "server", "from", "to", "at", "by", "reason"]);
        newest.GetProperty("setting").GetString().ShouldBe("Database:MaxPoolSize");
        newest.GetProperty("server").GetString().ShouldBe("primary");
        (newest.GetProperty("from").GetInt32(), newest.GetProperty("to").GetInt32()).ShouldBe((27, 9));
        newest.GetProperty("at").GetString().ShouldBe("2026-02-15T08:00:00+00:00");
        newest.GetProperty("by").GetString().ShouldBe("ops@host-1");
        newest.GetProperty("reason").GetString().ShouldBe("Far larger than needed.");
        var oldest = root.GetProperty("applied")[1];
        oldest.GetProperty("from").ValueKind.ShouldBe(JsonValueKind.Null);
        oldest.GetProperty("to").GetInt32().ShouldBe(27);
        root.GetProperty("nextReviewAt").GetDateTimeOffset().ShouldBe(At.AddDays(1));
    }
}
