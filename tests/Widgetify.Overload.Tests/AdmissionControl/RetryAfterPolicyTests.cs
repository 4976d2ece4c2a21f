using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public class RetryAfterPolicyTests
{
    [Fact]
    public void Next_DefaultsWithSeededRandom_StaysWithinOneToThreeSecondsAndVaries()
    {
        // Arrange
        var policy = new RetryAfterPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), new Random(42));

        // Act
        var values = Enumerable.Range(0, 300).Select(_ => policy.Next().TotalSeconds).ToList();

        // Assert: every whole second from 1 to 3 occurs, nothing else
        values.Distinct().Order().ShouldBe([1.0, 2.0, 3.0]);
    }

    [Fact]
    public void Next_SameSeed_RepeatsSequence()
    {
        // Arrange
        var a = new RetryAfterPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), new Random(7));
        var b = new RetryAfterPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), new Random(7));

        // Act
        var first = Enumerable.Range(0, 20).Select(_ => a.Next()).ToList();
        var second = Enumerable.Range(0, 20).Select(_ => b.Next()).ToList();

        // Assert
        first.ShouldBe(second);
    }

    [Fact]
    public void Next_NoJitter_ReturnsBase()
    {
        // Arrange
        var policy = new RetryAfterPolicy(TimeSpan.FromSeconds(4), TimeSpan.Zero, new Random(1));

        // Act
        var values = Enumerable.Range(0, 10).Select(_ => policy.Next()).Distinct().ToList();

        // Assert
        values.ShouldBe([TimeSpan.FromSeconds(4)]);
    }

    [Fact]
    public void Next_FractionalSeconds_RoundsBaseUpAndJitterDown()
    {
        // Arrange: 1.5 s base becomes 2 s (never earlier than configured); 1.9 s jitter allows 0 or 1 extra second
        var policy = new RetryAfterPolicy(TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(1.9), new Random(3));

        // Act
        var values = Enumerable.Range(0, 100).Select(_ => policy.Next().TotalSeconds).Distinct().Order().ToList();

        // Assert
        values.ShouldBe([2.0, 3.0]);
    }
}
