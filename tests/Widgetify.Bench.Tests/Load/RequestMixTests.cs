using Widgetify.Bench.Load;

namespace Widgetify.Bench.Tests.Load;

public sealed class RequestMixTests
{
    [Fact]
    public void Next_ManyDraws_FollowsTheMix()
    {
        var mix = new RequestMix(seed: 1, widgetCount: 50, pollCount: 10);
        var counts = new int[5];
        const int draws = 200_000;

        for (var i = 0; i < draws; i++)
        {
            var kind = mix.Next(out var widget);
            counts[(int)kind]++;
            widget.ShouldBeInRange(0, kind == RequestKind.Vote ? 9 : 49);
        }

        (counts[(int)RequestKind.Embed] / (double)draws).ShouldBe(0.75, 0.01);
        (counts[(int)RequestKind.ApiGet] / (double)draws).ShouldBe(0.10, 0.01);
        (counts[(int)RequestKind.ApiList] / (double)draws).ShouldBe(0.05, 0.01);
        (counts[(int)RequestKind.Vote] / (double)draws).ShouldBe(0.05, 0.01);
        (counts[(int)RequestKind.ApiCreate] / (double)draws).ShouldBe(0.05, 0.01);
    }

    [Fact]
    public void Next_NoPolls_TheVotesShareGoesToEmbeds()
    {
        var mix = new RequestMix(seed: 1, widgetCount: 50);
        var counts = new int[5];
        const int draws = 100_000;

        for (var i = 0; i < draws; i++)
        {
            counts[(int)mix.Next(out _)]++;
        }

        counts[(int)RequestKind.Vote].ShouldBe(0);
        (counts[(int)RequestKind.Embed] / (double)draws).ShouldBe(0.80, 0.01);
    }

    [Fact]
    public void Next_ReadsOnly_NeverAWrite()
    {
        var mix = new RequestMix(seed: 1, widgetCount: 8, RequestWeights.ReadsOnly, pollCount: 3);
        var counts = new int[5];
        const int draws = 100_000;

        for (var i = 0; i < draws; i++)
        {
            counts[(int)mix.Next(out _)]++;
        }

        counts[(int)RequestKind.ApiCreate].ShouldBe(0);
        counts[(int)RequestKind.Vote].ShouldBe(0);
        (counts[(int)RequestKind.Embed] / (double)draws).ShouldBe(0.85, 0.01);
        (counts[(int)RequestKind.ApiGet] / (double)draws).ShouldBe(0.10, 0.01);
        (counts[(int)RequestKind.ApiList] / (double)draws).ShouldBe(0.05, 0.01);
    }

    [Fact]
    public void Next_SameSeed_SameSequence()
    {
        var a = new RequestMix(42, 1000);
        var b = new RequestMix(42, 1000);

        for (var i = 0; i < 1000; i++)
        {
            a.Next(out var widgetA).ShouldBe(b.Next(out var widgetB));
            widgetA.ShouldBe(widgetB);
        }
    }

    [Fact]
    public void Next_Updates_ChooseAmongTheCounters()
    {
        var mix = new RequestMix(seed: 1, widgetCount: 50, new RequestWeights(0, 0, 0, Vote: 0, Update: 40), updateCount: 3);
        var counts = new int[6];
        const int draws = 100_000;

        for (var i = 0; i < draws; i++)
        {
            var kind = mix.Next(out var widget);
            counts[(int)kind]++;
            if (kind == RequestKind.ApiUpdate)
            {
                widget.ShouldBeInRange(0, 2);
            }
        }

        (counts[(int)RequestKind.ApiUpdate] / (double)draws).ShouldBe(0.40, 0.01);
        (counts[(int)RequestKind.ApiCreate] / (double)draws).ShouldBe(0.60, 0.01);
    }

    [Fact]
    public void Next_UpdatesWithoutCounters_BecomeCreates()
    {
        var mix = new RequestMix(seed: 1, widgetCount: 50, new RequestWeights(0, 0, 0, Vote: 0, Update: 40));

        for (var i = 0; i < 1000; i++)
        {
            mix.Next(out _).ShouldBe(RequestKind.ApiCreate);
        }
    }
}
