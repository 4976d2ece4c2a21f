using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Tests.Signals;

public sealed class SignalHistoryTests
{
    private static readonly DateTimeOffset Start = new(2024, 2, 15, 8, 0, 0, TimeSpan.Zero);

    private static SignalSnapshot At(int second, long requests = 1) => new() { At = Start.AddSeconds(second), Requests = requests };

    [Fact]
    public void Window_ReturnsSnapshotsEndingWithinTheWindow_OldestFirst()
    {
        var history = new SignalHistory(100);
        for (var i = 1; i <= 10; i++)
        {
            history.Add(At(i, i));
        }

        var window = history.Window(Start.AddSeconds(10), TimeSpan.FromSeconds(3));

        window.Select(s => s.Requests).ShouldBe([8L, 9L, 10L]);
    }

    [Fact]
    public void Add_BeyondCapacity_DropsTheOldest()
    {
        var history = new SignalHistory(3);
        for (var i = 1; i <= 5; i++)
        {
            history.Add(At(i, i));
        }

        history.Count.ShouldBe(3);
        history.Latest!.Requests.ShouldBe(5);
        history.Window(Start.AddSeconds(5), TimeSpan.FromHours(1)).Select(s => s.Requests).ShouldBe([3L, 4L, 5L]);
    }

    [Fact]
    public void Latest_BeforeTheFirstSnapshot_IsNull()
    {
        new SignalHistory(3).Latest.ShouldBeNull();
    }

    [Fact]
    public void SignalWindow_ShedRatioAndLatency_SumTheWindow()
    {
        double[] bounds = [0.1, 1];
        IReadOnlyList<SignalSnapshot> window =
        [
            new() { At = Start, Requests = 100, Shed = 10, ServerErrors = 5, Latency = new LatencyDistribution(bounds, [100, 0, 0]) },
            new() { At = Start.AddSeconds(1), Requests = 100, Latency = new LatencyDistribution(bounds, [0, 100, 0]) },
        ];

        window.ShedRatio()!.Value.ShouldBe(0.05, 1e-9);
        window.Latency().Count.ShouldBe(200);
        window.Latency().Quantile(0.5)!.Value.ShouldBe(0.1, 1e-9);
    }

    [Fact]
    public void SignalWindow_NoRequests_RatiosAreNull()
    {
        IReadOnlyList<SignalSnapshot> window = [new() { At = Start }];

        window.ShedRatio().ShouldBeNull();
    }
}
