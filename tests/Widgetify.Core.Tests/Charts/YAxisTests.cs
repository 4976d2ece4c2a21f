using Widgetify.Core.Charts;

namespace Widgetify.Core.Tests.Charts;

public sealed class YAxisTests
{
    [Theory]
    [InlineData(0.7, 1)]
    [InlineData(1, 1)]
    [InlineData(1.2, 2)]
    [InlineData(3, 5)]
    [InlineData(730, 1000)]
    [InlineData(1800, 2000)]
    [InlineData(0.0042, 0.005)]
    public void NiceCeiling_Value_OneTwoOrFiveTimesAPowerOfTen(double value, double expected)
    {
        YAxis.NiceCeiling(value).ShouldBe(expected, 1e-12);
    }

    [Fact]
    public void For_LinearWithNothingToDraw_ZeroToOne()
    {
        // Arrange
        var panel = Panel(log: false, null, double.NaN);

        // Act
        var axis = YAxis.For(panel);

        // Assert
        axis.Ticks.ShouldBe([0, 0.25, 0.5, 0.75, 1]);
        axis.Fraction(null).ShouldBeNull();
        axis.Fraction(double.PositiveInfinity).ShouldBeNull();
    }

    [Fact]
    public void For_LinearBelowZero_DrawnAtZero()
    {
        // Act
        var axis = YAxis.For(Panel(log: false, -3, 8));

        // Assert
        axis.Fraction(-3).ShouldBe(0);
        axis.Fraction(8).ShouldNotBeNull().ShouldBe(0.8, 1e-12);
    }

    [Fact]
    public void For_LogScale_WholeDecadesAroundTheValues()
    {
        // Act
        var axis = YAxis.For(Panel(log: true, 0, 3, 250));

        // Assert: 3 and 250 need 1 to 1000; zero cannot be drawn.
        axis.Ticks.ShouldBe([1, 10, 100, 1000]);
        axis.Fraction(0).ShouldBeNull();
        axis.Fraction(-1).ShouldBeNull();
        axis.Fraction(10).ShouldNotBeNull().ShouldBe(1.0 / 3, 1e-12);
    }

    [Fact]
    public void For_LogScaleOfOneValue_ADecadeAtLeast()
    {
        // Act
        var axis = YAxis.For(Panel(log: true, 100));

        // Assert
        axis.Ticks.ShouldBe([100, 1000]);
        axis.Fraction(100).ShouldBe(0.0);
    }

    [Fact]
    public void For_LogScaleWithNothingPositive_StillLabelsDecades()
    {
        // Act
        var axis = YAxis.For(Panel(log: true, 0, null));

        // Assert
        axis.Ticks.Count().ShouldBeGreaterThan(1);
        axis.Fraction(0).ShouldBeNull();
    }

    private static TimePanel Panel(bool log, params double?[] values) => new()
    {
        Title = "p",
        LogScale = log,
        Series = [new TimeSeries("s", "#000", [.. values.Select((v, i) => new TimePoint(i, v))])],
    };
}
