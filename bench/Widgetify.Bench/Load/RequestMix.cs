namespace Widgetify.Bench.Load;

/// <summary>Draws the next request of the mix (by default the storm's: 75% embed, 10% API get, 5% list, 5% vote, 5% create) and
/// the widget it targets, from a seeded <see cref="Random"/> so that every configuration sees the same sequence. Not
/// thread-safe: one instance per pacing loop or worker.</summary>
internal sealed class RequestMix(int seed, int widgetCount, RequestWeights? weights = null, int pollCount = 0, int updateCount = 0)
{
    private readonly Random random = new(seed);
    private readonly RequestWeights weights = (weights ?? RequestWeights.Storm).WithoutVotesIf(pollCount == 0).WithoutUpdatesIf(updateCount == 0);

    /// <summary>Next request kind; <paramref name="widget"/> is an index into the widget ids (for a vote, into the
    /// polls' ids; 0 for list and create).</summary>
    public RequestKind Next(out int widget)
    {
        var roll = random.Next(100);
        var kind = roll < weights.Embed ? RequestKind.Embed
            : roll < weights.Embed + weights.ApiGet ? RequestKind.ApiGet
            : roll < weights.Embed + weights.ApiGet + weights.ApiList ? RequestKind.ApiList
            : roll < weights.Embed + weights.ApiGet + weights.ApiList + weights.Vote ? RequestKind.Vote
            : roll < weights.Embed + weights.ApiGet + weights.ApiList + weights.Vote + weights.Update ? RequestKind.ApiUpdate
            : RequestKind.ApiCreate;
        widget = kind switch
        {
            RequestKind.Embed or RequestKind.ApiGet => random.Next(widgetCount),
            RequestKind.Vote => random.Next(pollCount),
            RequestKind.ApiUpdate => random.Next(updateCount),
            _ => 0,
        };
        return kind;
    }
}

/// <summary>Percentages of a <see cref="RequestMix"/>; what the five leave of 100 is <see cref="RequestKind.ApiCreate"/>.</summary>
/// <param name="Embed">Share of <c>GET /w/{id}</c>.</param>
/// <param name="ApiGet">Share of <c>GET /api/widgets/{id}</c>.</param>
/// <param name="ApiList">Share of <c>GET /api/widgets?limit=20</c>.</param>
/// <param name="Vote">Share of <c>POST /w/{id}/vote</c> on a poll.</param>
/// <param name="Update">Share of <c>PUT /api/widgets/{id}</c> of a counter.</param>
internal readonly record struct RequestWeights(int Embed, int ApiGet, int ApiList, int Vote = 0, int Update = 0)
{
    /// <summary>The storm's mix: 75 / 10 / 5, 5% votes on polls (a viral poll's write storm) and 5% creates.</summary>
    public static readonly RequestWeights Storm = new(75, 10, 5, 5);

    /// <summary>Reads only, the requests the router sends to standbys: 85 / 10 / 5, no writes.</summary>
    public static readonly RequestWeights ReadsOnly = new(85, 10, 5);

    /// <summary>With no poll to vote on, the votes' share goes to the embeds.</summary>
    public RequestWeights WithoutVotesIf(bool noPolls) => noPolls ? this with { Embed = Embed + Vote, Vote = 0 } : this;

    /// <summary>With no counter to replace, the updates' share goes to creates (what is left of 100).</summary>
    public RequestWeights WithoutUpdatesIf(bool noCounters) => noCounters ? this with { Update = 0 } : this;
}
