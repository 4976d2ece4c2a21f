using Widgetify.Api.Stats;

namespace Widgetify.Api.Tests.Stats;

/// <summary>The stats range's parsing: every ISO 8601 instant is read as one, and one outside the answered range is
/// called out of range, not malformed.</summary>
public sealed class StatsQueryTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 5, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-12-07T00:00:00-23:59", "2026-12-07T23:59:00Z")]
    [InlineData("2026-12-07T00:00:00+23:59", "2026-12-06T00:01:00Z")]
    [InlineData("2026-12-07T01:30+01:00", "2026-12-07T00:30:00Z")]
    [InlineData("2026-12-07", "2026-12-07T00:00:00Z")]
    [InlineData("1900-01-01T00:00:00Z", "1900-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z")]
    public void ParseIso_ValidIso8601_ReadsTheInstant(string text, string expected)
    {
        StatsQuery.ParseIso(text).ShouldBe(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2026-12-07T00:00:00-24:00")]
    [InlineData("2026-12-07T00:00:00+05:60")]
    [InlineData("2026-02-30")]
    [InlineData("12/06/2026")]
    [InlineData("2026-12-01T00:00+\u0660\u0661:00")] // Arabic-Indic digits in the offset: was a FormatException, so a 500
    [InlineData("2026-12-01T00:00+0\u0661:00")]
    [InlineData("\u0662\u0660\u0662\u0666-12-01")]
    [InlineData("2026-12-01T0\u0967:00Z")] // Devanagari
    public void ParseIso_NotIso8601_ReturnsNull(string text) => StatsQuery.ParseIso(text).ShouldBeNull();

    [Fact]
    public void TryParse_OffsetBeyondFourteenHours_IsAccepted()
    {
        var query = StatsQuery.TryParse("2026-12-07T00:00:00-23:59", "2026-12-09T00:00:00Z", null, Now, out var errors);

        errors.ShouldBeEmpty();
        query.ShouldNotBeNull().From.ShouldBe(new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("1900-01-01T00:00:00Z", null, "from")]
    [InlineData("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "from")]
    [InlineData("0001-01-01T00:00:00+01:00", null, "from")]
    [InlineData("2026-12-01T00:00:00Z", "9999-12-31T23:59:59Z", "to")]
    public void TryParse_ValidDateOutsideTheAnsweredRange_SaysOutOfRange(string from, string? to, string field)
    {
        StatsQuery.TryParse(from, to, null, Now, out var errors).ShouldBeNull();

        var message = errors[field].ShouldHaveSingleItem();
        message.ShouldContain("out of range");
        message.ShouldNotContain("is not an ISO 8601");
    }
}
