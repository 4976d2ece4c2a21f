using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public class PriorityAllowanceTests
{
    [Theory]
    [InlineData(RequestPriority.Critical, 8, int.MaxValue, 9)]
    [InlineData(RequestPriority.Critical, 8, 9, 9)]
    [InlineData(RequestPriority.Critical, 8, 8, 8)]
    [InlineData(RequestPriority.Write, 8, int.MaxValue, 8)]
    [InlineData(RequestPriority.Read, 8, int.MaxValue, 7)]
    [InlineData(RequestPriority.Background, 8, int.MaxValue, 4)]
    [InlineData(RequestPriority.Read, 1, int.MaxValue, 1)]
    [InlineData(RequestPriority.Background, 1, int.MaxValue, 1)]
    [InlineData(RequestPriority.Critical, 0, 0, 0)]
    [InlineData(RequestPriority.Read, 0, 0, 0)]
    public void For_DefaultShares_GivesAllowance(RequestPriority priority, int limit, int ceiling, int expected)
    {
        // Act
        var allowance = PriorityAllowance.For(priority, limit, ceiling, readShare: 0.9, backgroundShare: 0.5);

        // Assert
        allowance.ShouldBe(expected);
    }

    [Fact]
    public void For_ShareWithBinaryRoundingError_FloorsToExactProduct()
    {
        // Act: 100 × 0.29 is 28.999999999999996 in binary floating point
        var allowance = PriorityAllowance.For(RequestPriority.Read, 100, int.MaxValue, readShare: 0.29, backgroundShare: 0.5);

        // Assert
        allowance.ShouldBe(29);
    }
}
