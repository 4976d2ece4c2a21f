using Widgetify.Bench.Load;
using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Tests.Storm;

public sealed class StormShapesTests
{
    private static readonly Uri Service = new("http://127.0.0.1:5000");
    private static readonly Guid[] Widgets = [.. Enumerable.Range(1, 3000).Select(i => new Guid(i, 0, 0, new byte[8]))];
    private static readonly Guid[] Polls = [Widgets[1], Widgets[6]];
    private static readonly Guid[] Counters = [Widgets[4]];

    [Theory]
    [InlineData("hot,random,list,writes,mixed", new[] { "hot", "random", "list", "writes", "mixed" })]
    [InlineData("Mixed, hot ,hot", new[] { "hot", "mixed" })]
    [InlineData("hot,", new[] { "hot" })] // an empty entry is skipped, as --configs does
    public void TryParse_Valid_DistinctCanonicalOrder(string text, string[] expected)
    {
        StormShapes.TryParse(text, out var shapes).ShouldBeTrue();
        shapes.Select(StormShapes.Name).ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("storm")]
    [InlineData("1")]
    [InlineData("hot,cold")]
    public void TryParse_Invalid_False(string text)
    {
        StormShapes.TryParse(text, out _).ShouldBeFalse();
    }

    [Fact]
    public void Factory_Hot_EveryEmbedAtOneWidget()
    {
        var factory = StormShapes.Factory(StormShape.Hot, Service, "key", Widgets, Polls, Counters);
        var mix = new RequestMix(1, factory.WidgetCount, StormShapes.Weights(StormShape.Hot), factory.PollCount, factory.UpdateCount);

        factory.WidgetCount.ShouldBe(1);
        for (var i = 0; i < 100; i++)
        {
            using var request = factory.Create(mix.Next(out var widget), widget);
            request.Method.ShouldBe(HttpMethod.Get);
            request.RequestUri!.AbsolutePath.ShouldBe($"/w/{Widgets[0]}");
            request.Headers.Authorization.ShouldBeNull();
        }
    }

    [Fact]
    public void Factory_Random_EmbedsSpreadOverEveryWidget()
    {
        var factory = StormShapes.Factory(StormShape.Random, Service, "key", Widgets, Polls, Counters);
        var mix = new RequestMix(1, factory.WidgetCount, StormShapes.Weights(StormShape.Random), factory.PollCount, factory.UpdateCount);
        var seen = new HashSet<string>();

        for (var i = 0; i < 20_000; i++)
        {
            using var request = factory.Create(mix.Next(out var widget), widget);
            request.RequestUri!.AbsolutePath.ShouldStartWith("/w/");
            seen.Add(request.RequestUri.AbsolutePath);
        }

        factory.WidgetCount.ShouldBe(3000);
        seen.Count.ShouldBeGreaterThan(2900); // uniform: nearly every one of 3,000 in 20,000 draws
    }

    [Fact]
    public void Factory_List_OnlyTheListWithTheKey()
    {
        var factory = StormShapes.Factory(StormShape.List, Service, "key", Widgets, Polls, Counters);
        var mix = new RequestMix(1, factory.WidgetCount, StormShapes.Weights(StormShape.List), factory.PollCount, factory.UpdateCount);

        for (var i = 0; i < 100; i++)
        {
            using var request = factory.Create(mix.Next(out var widget), widget);
            request.RequestUri!.PathAndQuery.ShouldBe("/api/widgets?limit=20");
            request.Headers.Authorization!.ToString().ShouldBe("Bearer key");
        }
    }

    [Fact]
    public void Factory_Writes_CreatesUpdatesOfCountersAndVotes()
    {
        var factory = StormShapes.Factory(StormShape.Writes, Service, "key", Widgets, Polls, Counters);
        var mix = new RequestMix(1, factory.WidgetCount, StormShapes.Weights(StormShape.Writes), factory.PollCount, factory.UpdateCount);
        var kinds = new Dictionary<string, int>();
        const int draws = 20_000;

        for (var i = 0; i < draws; i++)
        {
            using var request = factory.Create(mix.Next(out var widget), widget);
            var what = request.Method + " " + request.RequestUri!.AbsolutePath;
            kinds[what] = kinds.GetValueOrDefault(what) + 1;
            if (request.Method == HttpMethod.Put)
            {
                request.Headers.IfMatch.ToString().ShouldBe("*");
                request.Headers.Authorization.ShouldNotBeNull();
            }
        }

        (kinds[$"PUT /api/widgets/{Counters[0]}"] / (double)draws).ShouldBe(0.35, 0.02);
        (kinds["POST /api/widgets"] / (double)draws).ShouldBe(0.35, 0.02);
        ((kinds[$"POST /w/{Polls[0]}/vote"] + kinds[$"POST /w/{Polls[1]}/vote"]) / (double)draws).ShouldBe(0.30, 0.02);
        kinds.Keys.ShouldAllBe(k => !k.StartsWith("GET", StringComparison.Ordinal));
    }

    [Fact]
    public void Factory_Mixed_FirstTwoThousandWidgetsAndVotesNoUpdates()
    {
        var factory = StormShapes.Factory(StormShape.Mixed, Service, "key", Widgets, Polls, Counters);

        factory.WidgetCount.ShouldBe(StormShapes.MixedWidgets);
        factory.PollCount.ShouldBe(2);
        factory.UpdateCount.ShouldBe(0);
        StormShapes.Weights(StormShape.Mixed).ShouldBe(RequestWeights.Storm);
    }

    [Fact]
    public void Describe_Random_NamesTheWidgetCount()
    {
        StormShapes.Describe(StormShape.Random, 20_000).ShouldContain("20,000 widgets");
    }
}
