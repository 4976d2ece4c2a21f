using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Embed;

namespace Widgetify.Api.Tests.Embed;

public sealed class ViewCounterTests
{
    private static readonly DateTimeOffset Hour = new(2026, 12, 6, 23, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Hour.AddMinutes(59));

    private ViewCounter NewCounter(int maxBufferedWidgets = 50_000) =>
        new(Options.Create(new WidgetifyOptions { Embed = new EmbedOptions { MaxBufferedWidgets = maxBufferedWidgets } }), _time);

    [Fact]
    public void Drain_AddsEitherSideOfAnHour_KeepsEachHoursViewsApart()
    {
        using var counter = NewCounter();
        var widget = Guid.NewGuid();
        counter.Add(widget, 2);
        _time.Advance(TimeSpan.FromMinutes(2)); // 00:01 the next day
        counter.Add(widget);
        counter.Add(widget, 4);

        var drained = counter.Drain();

        drained.Count.ShouldBe(2);
        drained[new HourlyViews(widget, Hour)].ShouldBe(2);
        drained[new HourlyViews(widget, Hour.AddHours(1))].ShouldBe(5);
    }

    [Fact]
    public void HourOf_InstantWithAnOffset_IsTheUtcHour()
    {
        HourlyViews.HourOf(new DateTimeOffset(2026, 12, 7, 1, 30, 15, TimeSpan.FromHours(2)))
            .ShouldBe(new DateTimeOffset(2026, 12, 6, 23, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Drain_AfterAdds_ReturnsSumPerWidget()
    {
        using var counter = NewCounter();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        counter.Add(a);
        counter.Add(a);
        counter.Add(b, 5);
        counter.Add(a, 3);

        var drained = counter.Drain();

        drained.Count.ShouldBe(2);
        drained[new HourlyViews(a, Hour)].ShouldBe(5);
        drained[new HourlyViews(b, Hour)].ShouldBe(5);
    }

    [Fact]
    public void Drain_Twice_SecondIsEmpty()
    {
        using var counter = NewCounter();
        counter.Add(Guid.NewGuid());

        counter.Drain().Count.ShouldBe(1);

        counter.Drain().ShouldBeEmpty();
        counter.PendingWidgets.ShouldBe(0);
    }

    [Fact]
    public void Drain_Nothing_ReturnsEmpty()
    {
        using var counter = NewCounter();

        counter.Drain().ShouldBeEmpty();
    }

    [Fact]
    public void Restore_AfterNewAdds_MergesCounts()
    {
        using var counter = NewCounter();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        counter.Add(a, 2);
        var failedBatch = counter.Drain();
        counter.Add(a, 3);
        counter.Add(b);

        counter.Restore(failedBatch);

        var drained = counter.Drain();
        drained[new HourlyViews(a, Hour)].ShouldBe(5);
        drained[new HourlyViews(b, Hour)].ShouldBe(1);
    }

    [Fact]
    public async Task WaitForEarlyFlush_BufferReachesLimit_Completes()
    {
        using var counter = NewCounter(maxBufferedWidgets: 3);
        var wait = counter.WaitForEarlyFlushAsync(CancellationToken.None);
        counter.Add(Guid.NewGuid());
        counter.Add(Guid.NewGuid());
        wait.IsCompleted.ShouldBeFalse("two widgets are below the limit of three");

        counter.Add(Guid.NewGuid());

        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AddAndDrain_Concurrently_NeverLoseACount()
    {
        using var counter = NewCounter();
        var ids = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();
        const int Adders = 8, AddsPerAdder = 20_000;
        long drainedTotal = 0;
        var drains = 0;
        using var done = new CancellationTokenSource();
        var drainerRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var drainer = Task.Factory.StartNew(() =>
        {
            while (!done.IsCancellationRequested)
            {
                drainedTotal += counter.Drain().Values.Sum();
                Interlocked.Increment(ref drains);
                drainerRunning.TrySetResult();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await drainerRunning.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Each adder adds half its views, waits until the drainer has drained again since it began, then adds the rest:
        // drains certainly run while views are being added, however the machine schedules the threads (on a busy one the
        // adders could otherwise finish between two drains, and the test would check nothing).
        var adders = Enumerable.Range(0, Adders).Select(n => Task.Run(() =>
        {
            for (var i = 0; i < AddsPerAdder; i++)
            {
                if (i == AddsPerAdder / 2)
                {
                    var seen = Volatile.Read(ref drains);
                    SpinWait.SpinUntil(() => Volatile.Read(ref drains) > seen + 1);
                }

                counter.Add(ids[(n + i) % ids.Length]);
            }
        })).ToArray();

        await Task.WhenAll(adders).WaitAsync(TimeSpan.FromSeconds(60));
        await done.CancelAsync();
        await drainer;
        drainedTotal += counter.Drain().Values.Sum();

        drainedTotal.ShouldBe((long)Adders * AddsPerAdder);
    }
}
