using Microsoft.Extensions.Options;

namespace Widgetify.PoolReview.Tests;

public sealed class PoolReviewOptionsTests
{
    private static ValidateOptionsResult Validate(PoolReviewOptions options) => new PoolReviewOptionsValidator().Validate(null, options);

    [Fact]
    public void Defaults_KeepThirtyDaysAndAreValid()
    {
        // Arrange
        var options = new PoolReviewOptions();

        // Act & Assert
        options.HistoryRetention.ShouldBe(TimeSpan.FromDays(30));
        Validate(options).Succeeded.ShouldBeTrue();
    }

    [Theory]
    [InlineData("00:59:59")]
    [InlineData("367.00:00:00")]
    public void Validate_RetentionOutOfRange_FailsNamingTheSetting(string retention)
    {
        // Act
        var result = Validate(new PoolReviewOptions { HistoryRetention = TimeSpan.Parse(retention, System.Globalization.CultureInfo.InvariantCulture) });

        // Assert
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain(nameof(PoolReviewOptions.HistoryRetention));
    }

    [Fact]
    public void Copy_LaterChangesToTheBoundObject_AreNotSeen()
    {
        // Arrange
        var bound = new PoolReviewOptions { HistoryRetention = TimeSpan.FromDays(7) };

        // Act
        var copy = bound.Copy();
        bound.HistoryRetention = TimeSpan.FromDays(1);

        // Assert
        copy.HistoryRetention.ShouldBe(TimeSpan.FromDays(7));
    }
}
