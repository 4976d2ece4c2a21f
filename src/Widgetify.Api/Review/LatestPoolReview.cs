using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Api.Review;

/// <summary>The latest review the service ran of its own settings (<see cref="PoolReviewLoop"/>), for
/// <c>GET /api/review</c> and the dashboard: the report, the settings applied so far, when the next review is due, and
/// why the last attempt failed when it did.</summary>
internal sealed class LatestPoolReview
{
    private State state = new(null, [], null, null);

    /// <summary>What is known now.</summary>
    public State Current => Volatile.Read(ref state);

    /// <summary>Records a completed review.</summary>
    public void Completed(ReviewReport report, IReadOnlyList<AppliedSetting> applied, DateTimeOffset nextAt) =>
        Volatile.Write(ref state, new State(report, applied, nextAt, null));

    /// <summary>Records a review that could not run; the last completed one stays.</summary>
    public void Failed(string reason, DateTimeOffset nextAt)
    {
        var previous = Current;
        Volatile.Write(ref state, previous with { NextAt = nextAt, LastError = reason });
    }

    /// <summary>The review's state.</summary>
    /// <param name="Report">The last completed review; null before the first.</param>
    /// <param name="Applied">The settings <c>--apply</c> changed, newest first, as of that review.</param>
    /// <param name="NextAt">When the next review runs; null before the first attempt.</param>
    /// <param name="LastError">Why the last attempt failed, without internals (it is served); null when it succeeded.</param>
    public sealed record State(ReviewReport? Report, IReadOnlyList<AppliedSetting> Applied, DateTimeOffset? NextAt, string? LastError);
}
