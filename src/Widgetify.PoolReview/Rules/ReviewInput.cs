using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview.Rules;

/// <summary>Everything the review judges, gathered beforehand, so <see cref="SettingsReview.Review"/> is a pure function
/// the CLI and (later) the service both call.</summary>
public sealed record ReviewInput
{
    /// <summary>When the inputs were read.</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Instances the pools are multiplied by: those registered in the budget now, or <c>--instances N</c>.</summary>
    public required int Instances { get; init; }

    /// <summary>Where <see cref="Instances"/> comes from, for the reasons ("registered in the budget", "--instances").</summary>
    public string InstancesSource { get; init; } = "registered in the budget";

    /// <summary>Request deadlines the pool waits serve; null when admission control does not set any
    /// (<c>Admission:Mode</c> other than Adaptive).</summary>
    public RequestDeadlines? Deadlines { get; init; }

    /// <summary>One entry per server: the primary first, then the standbys.</summary>
    public required IReadOnlyList<ServerReviewInput> Servers { get; init; }
}

/// <summary>One server's settings, live facts and history.</summary>
/// <param name="Settings">What the service would run with against it.</param>
/// <param name="Facts">What the server said.</param>
/// <param name="History">What the pools really did on it; null when nothing was recorded.</param>
public sealed record ServerReviewInput(ServerSettings Settings, ServerFacts Facts, ServerHistorySummary? History);

/// <summary>The request deadlines admission control sets (<c>Admission:ReadTimeout</c>, <c>Admission:WriteTimeout</c>).</summary>
public sealed record RequestDeadlines(TimeSpan Read, TimeSpan Write)
{
    /// <summary>The longest deadline any request has.</summary>
    public TimeSpan Longest => Read > Write ? Read : Write;
}
