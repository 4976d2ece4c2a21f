using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

public sealed class ShareWaitTests
{
    [Fact]
    public void Derive_NoRequest_WaitsThePoolTimeout()
    {
        ShareWait.Derive(TimeSpan.FromSeconds(3), timeLeft: null).ShouldBe(new ShareWait(TimeSpan.FromSeconds(3), EndsAtDeadline: false));
    }

    [Fact]
    public void Derive_NoRequestAndPoolTimeoutZero_WaitsWithoutBound()
    {
        ShareWait.Derive(TimeSpan.Zero, timeLeft: null).ShouldBe(new ShareWait(Timeout.InfiniteTimeSpan, EndsAtDeadline: false));
    }

    [Fact]
    public void Derive_ReadWithLessLeftThanThePoolTimeout_WaitsTheTimeLeftAndEndsAtTheDeadline()
    {
        // A read's 2 s budget with 1.25 s left, the pool's 3 s 'Timeout': the read's deadline is the bound
        ShareWait.Derive(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(1250))
            .ShouldBe(new ShareWait(TimeSpan.FromMilliseconds(1250), EndsAtDeadline: true));
    }

    [Fact]
    public void Derive_WriteWithMoreLeftThanThePoolTimeout_WaitsThePoolTimeout()
    {
        ShareWait.Derive(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)).ShouldBe(new ShareWait(TimeSpan.FromSeconds(3), EndsAtDeadline: false));
    }

    [Fact]
    public void Derive_TimeLeftEqualsThePoolTimeout_TheDeadlineIsTheBound()
    {
        ShareWait.Derive(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)).ShouldBe(new ShareWait(TimeSpan.FromSeconds(3), EndsAtDeadline: true));
    }

    [Fact]
    public void Derive_PoolTimeoutZero_TheDeadlineIsTheOnlyBound()
    {
        ShareWait.Derive(TimeSpan.Zero, TimeSpan.FromSeconds(30)).ShouldBe(new ShareWait(TimeSpan.FromSeconds(30), EndsAtDeadline: true));
    }

    [Fact]
    public void Derive_DeadlinePassed_WaitsNothing()
    {
        ShareWait.Derive(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(-1)).ShouldBe(new ShareWait(TimeSpan.Zero, EndsAtDeadline: true));
    }
}
