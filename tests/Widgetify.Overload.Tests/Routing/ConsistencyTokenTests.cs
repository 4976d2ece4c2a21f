using NpgsqlTypes;
using Widgetify.Overload.Routing;

namespace Widgetify.Overload.Tests.Routing;

public class ConsistencyTokenTests
{
    [Theory]
    [InlineData("0/3000148", 0x3000148UL)]
    [InlineData("16/B374D848", 0x16B374D848UL)]
    [InlineData(" 1/0 ", 0x100000000UL)]
    public void TryParse_LsnText_ReturnsPosition(string value, ulong expected)
    {
        // Act
        var parsed = ConsistencyToken.TryParse(value, out var token);

        // Assert
        parsed.ShouldBeTrue();
        ((ulong)token.Position).ShouldBe(expected);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("3000148")]
    [InlineData("0/xyz")]
    [InlineData("-1/0")]
    [InlineData("FFFFFFFFF/0")]
    [InlineData("0/3000148; drop table widgets")]
    public void TryParse_NotAnLsn_ReturnsFalse(string? value)
    {
        ConsistencyToken.TryParse(value, out _).ShouldBeFalse();
    }

    [Fact]
    public void ToString_RoundTripsThroughTryParse()
    {
        // Arrange
        var token = new ConsistencyToken(new NpgsqlLogSequenceNumber(0x2A_0000_0010UL));

        // Act
        ConsistencyToken.TryParse(token.ToString(), out var again).ShouldBeTrue();

        // Assert
        token.ToString().ShouldBe("2A/10");
        again.ShouldBe(token);
    }

    [Fact]
    public void IsCoveredBy_ReplayAtOrPastPosition_True_BeforeIt_False()
    {
        var token = new ConsistencyToken(new NpgsqlLogSequenceNumber(1000));

        token.IsCoveredBy(new NpgsqlLogSequenceNumber(999)).ShouldBeFalse();
        token.IsCoveredBy(new NpgsqlLogSequenceNumber(1000)).ShouldBeTrue();
        token.IsCoveredBy(new NpgsqlLogSequenceNumber(1001)).ShouldBeTrue();
    }

    [Fact]
    public void Max_ReturnsLaterToken()
    {
        var early = new ConsistencyToken(new NpgsqlLogSequenceNumber(10));
        var late = new ConsistencyToken(new NpgsqlLogSequenceNumber(20));

        early.Max(late).ShouldBe(late);
        late.Max(early).ShouldBe(late);
    }
}
