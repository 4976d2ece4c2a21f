using System.ComponentModel.DataAnnotations;

namespace Widgetify.PoolReview;

/// <summary>Settings of the pool review (configuration section <c>Widgetify:Review</c>). docs/pool-review.md explains
/// what is recorded and how the review reads it.</summary>
public sealed class PoolReviewOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Widgetify:Review";

    /// <summary>How long the per-minute pool history is kept. Every instance deletes the minutes older than this at most
    /// once an hour, so the table holds this much plus up to an hour. Thirty days hold a month's weekly and monthly peaks
    /// (a billing run, a newsletter), which a pool must be sized for; at least an hour, the least history the review
    /// draws a recommendation from.</summary>
    /// <value>Default 30 days; range 1 hour to 366 days.</value>
    [Range(typeof(TimeSpan), "01:00:00", "366.00:00:00")]
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A copy, so later changes to the bound object are not seen by a running recorder.</summary>
    internal PoolReviewOptions Copy() => new() { HistoryRetention = HistoryRetention };
}
