using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Widgetify.Api.Embed.Kinds;

namespace Widgetify.Api.Polls;

/// <summary>A poll's settings as the owner wrote them (<c>question</c>, <c>options</c>, <c>closesAt</c>,
/// <c>hideResultsUntilClosed</c>), read leniently like every stored config (<see cref="WidgetConfig"/>).</summary>
internal sealed record PollConfig(string Question, IReadOnlyList<string> Options, DateTimeOffset? ClosesAt, bool HideResultsUntilClosed)
{
    /// <summary>The widget kind.</summary>
    public const string Kind = "poll";

    /// <summary>At most this many options are shown and can be voted for (the schema allows indexes 0 to 19).</summary>
    public const int MaxOptions = 20;

    public static PollConfig Read(JsonElement config)
    {
        var options = new List<string>();
        if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("options", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            options.AddRange(list.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.String).Take(MaxOptions).Select(o => o.GetString()!));
        }

        DateTimeOffset? closesAt = DateTimeOffset.TryParse(
            WidgetConfig.Text(config, "closesAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        var hide = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("hideResultsUntilClosed", out var h) && h.ValueKind == JsonValueKind.True;
        return new PollConfig(WidgetConfig.Text(config, "question") ?? "", options, closesAt, hide);
    }

    /// <summary>Whether voting has ended (<c>closesAt</c> passed).</summary>
    public bool IsClosed(DateTimeOffset now) => ClosesAt is { } closes && now >= closes;
}

/// <summary>What a visitor sees of a poll: its settings, the totals, whether it is closed and who is looking.</summary>
internal sealed record PollPage(PollConfig Config, PollTally Tally, bool Closed, string VisitorToken)
{
    /// <summary>Counts are hidden while the poll is open if the owner asked so.</summary>
    public bool ResultsHidden => Config.HideResultsUntilClosed && !Closed;

    /// <summary>The visitor sees the results (not the form) once they voted or the poll closed.</summary>
    public bool ShowsResults => Closed || Tally.VisitorChoice is not null;

    public long TotalVotes => Enumerable.Range(0, Config.Options.Count).Sum(i => Tally.VotesByOption.GetValueOrDefault(i));

    /// <summary>The public JSON of the results; <paramref name="counted"/> is set in the answer to a vote.</summary>
    public PollResultsJson ToJson(bool? counted = null) => new(
        ResultsHidden ? [] : [.. Config.Options.Select((text, i) => new PollOptionResult(text, Tally.VotesByOption.GetValueOrDefault(i)))],
        ResultsHidden ? null : TotalVotes,
        Closed,
        ResultsHidden,
        Tally.VisitorChoice,
        counted);
}

/// <summary>A poll's results as the public JSON shows them: <c>{"results":[{"option","votes"}],"totalVotes","closed"}</c>;
/// while the results are hidden (<c>hideResultsUntilClosed</c>), <c>results</c> is empty and <c>totalVotes</c> absent.</summary>
/// <param name="Results">Each option's text and votes, in the owner's order.</param>
/// <param name="TotalVotes">Votes on all options.</param>
/// <param name="Closed">Whether <c>closesAt</c> has passed.</param>
/// <param name="ResultsHidden">Whether counts are withheld until the poll closes.</param>
/// <param name="YourVote">The option the asking visitor chose, if they voted.</param>
/// <param name="Counted">In the answer to a vote: true if it counted, false if this visitor had already voted.</param>
internal sealed record PollResultsJson(
    IReadOnlyList<PollOptionResult> Results,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? TotalVotes,
    bool Closed,
    bool ResultsHidden,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? YourVote,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Counted);

/// <summary>One option's line of the results.</summary>
internal sealed record PollOptionResult(string Option, long Votes);
