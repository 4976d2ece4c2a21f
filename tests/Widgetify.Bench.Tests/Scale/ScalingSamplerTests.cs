using Widgetify.Bench.Detection;
using Widgetify.Bench.Scale;
using Widgetify.Bench.Tests.Detection;
using static Widgetify.Bench.Tests.Scale.ScaleSamples;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ScalingSamplerTests : IDisposable
{
    private readonly HttpClient client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TimerCountingFakeTimeProvider time = new(T0);

    [Fact]
    public async Task WaitUntilAsync_ConditionMetByALaterSample_ReturnsTrueWhenItIsRecorded()
    {
        // Arrange
        var sampler = Sampler(new Uri("http://127.0.0.1:9/"));
        sampler.Record(Sample(0, 0.5));
        var waiting = sampler.WaitUntilAsync(s => s[^1].Status.Saturation > 1, TimeSpan.FromSeconds(10), CancellationToken.None);

        // Act
        sampler.Record(Sample(1, 0.9));
        var stillWaiting = waiting.IsCompleted;
        sampler.Record(Sample(2, 1.5));

        // Assert
        stillWaiting.ShouldBeFalse();
        (await waiting).ShouldBeTrue();
        sampler.Samples.Count.ShouldBe(3);
        sampler.Latest!.At.ShouldBe(At(2));
    }

    [Fact]
    public async Task WaitUntilAsync_AlreadyTrue_ReturnsAtOnceWithoutATimer()
    {
        var sampler = Sampler(new Uri("http://127.0.0.1:9/"));
        sampler.Record(Sample(0, 2));

        (await sampler.WaitUntilAsync(s => s.Count == 1, TimeSpan.FromSeconds(10), CancellationToken.None)).ShouldBeTrue();
        time.ArmedTimers.ShouldBe(0);
    }

    [Fact]
    public async Task WaitUntilAsync_NothingComesWithinTheTimeout_FalseWhenTheClockPassesIt()
    {
        // Arrange
        var sampler = Sampler(new Uri("http://127.0.0.1:9/"));
        var waiting = sampler.WaitUntilAsync(s => s.Count > 0, TimeSpan.FromSeconds(10), CancellationToken.None);

        // Act
        time.Advance(TimeSpan.FromSeconds(9));
        var early = waiting.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(1));

        // Assert
        early.ShouldBeFalse();
        (await waiting).ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_AnswerThenAFailure_KeepsTheAnswerAndCountsTheFailure()
    {
        // Arrange: the first poll gets a body, the second a 503; the interval runs on the fake clock.
        var calls = 0;
        await using var server = new LoopbackServer(request => Task.FromResult(Interlocked.Increment(ref calls) == 1
            ? (200, """{"autoscaler":{"saturation":1.5,"leading":true},"servers":[{"name":"primary","role":"primary","port":5432,"state":"ready","lagSeconds":0,"readsServed":3}],"decisions":[]}""")
            : (503, """{"title":"Service Unavailable"}""")));
        var sampler = Sampler(server.BaseAddress);
        using var stop = new CancellationTokenSource();
        var running = sampler.RunAsync(stop.Token);

        // Act
        (await sampler.WaitUntilAsync(s => s.Count == 1, TimeSpan.FromSeconds(10), CancellationToken.None)).ShouldBeTrue();
        await BoundedWait.UntilAsync(() => time.ArmedTimers > 0, () => $"{time.ArmedTimers} timers", "the sampler waits for its next tick");
        time.Advance(TimeSpan.FromMilliseconds(250));
        await BoundedWait.UntilAsync(() => sampler.Polls == 2, () => $"{sampler.Polls} polls", "the second poll ended");
        await stop.CancelAsync();

        // Assert
        await Should.ThrowAsync<OperationCanceledException>(() => running);
        sampler.Samples.ShouldHaveSingleItem().Status.Saturation.ShouldBe(1.5);
        sampler.Failures.ShouldBe(1);
        sampler.LastFailure.ShouldBe("GET /api/scaling?limit=20: 503 Service Unavailable");
    }

    public void Dispose() => client.Dispose();

    private ScalingSampler Sampler(Uri baseAddress) =>
        new(new MonitoringClient(client, baseAddress, "wgt_op_test", TimeSpan.FromSeconds(5), time), TimeSpan.FromMilliseconds(250), time);
}
