using System.ComponentModel.DataAnnotations;

namespace Widgetify.PoolReview;

/// <summary>Settings of the pool review (configuration section <c>Widgetify:Review</c>). docs/pool-review.md explains
/// what is recorded, how the review reads it, and how reviewed settings are applied.</summary>
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

    /// <summary>Whether the service reviews its own settings at start and every <see cref="Interval"/>
    /// (<c>GET /api/review</c>, the findings metric, the dashboard's panel). <c>./widgetify review</c> works either way.</summary>
    /// <value>Default true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the service reviews its settings after the review at start. Daily: the review judges settings
    /// and a month of history, which do not change by the minute, and each run reads the whole history once.</summary>
    /// <value>Default 24 hours; range 1 minute to 30 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the service looks for settings applied by <c>./widgetify review --apply</c> (in PostgreSQL and in
    /// <see cref="SettingsFile"/>). A change is in effect within this much plus one lease renewal.</summary>
    /// <value>Default 15 seconds; range 1 second to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AppliedSettingsPollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The file <c>./widgetify review --apply --data-dir DIR</c> writes (<c>DIR/settings.reviewed.json</c>), in
    /// appsettings form; <c>./widgetify up</c> sets it. Its values win over every other source. None when null.</summary>
    public string? SettingsFile { get; set; }

    /// <summary>A copy, so later changes to the bound object are not seen by a running recorder.</summary>
    internal PoolReviewOptions Copy() => new()
    {
        HistoryRetention = HistoryRetention,
        Enabled = Enabled,
        Interval = Interval,
        AppliedSettingsPollInterval = AppliedSettingsPollInterval,
        SettingsFile = SettingsFile,
    };
}
