using System.ComponentModel.DataAnnotations;

namespace Widgetify.Api.Stats;

/// <summary>How long the hourly activity rollups (<c>widget_activity_hourly</c>) are kept, and how the retention job
/// deletes older ones. Configured under <c>Widgetify:Stats</c>.</summary>
public sealed class StatsOptions
{
    /// <summary>Days of hourly rows kept; older hours are deleted, so statistics before then read as zeros (the response's
    /// <c>retainedFrom</c> says where that starts). The widgets' running totals (view_count, click_count) are not affected.</summary>
    /// <value>Default 400 (a year and a month, so last year's same month can be compared); range 1 to 3,650.</value>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 400;

    /// <summary>How often the retention job looks for hours to delete.</summary>
    /// <value>Default 1 h; range 1 min to 1 day.</value>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows deleted per statement: a short transaction each, so a large backlog (retention just lowered) never
    /// holds locks or bloats WAL in one go.</summary>
    /// <value>Default 5,000; range 100 to 1,000,000.</value>
    [Range(100, 1_000_000)]
    public int RetentionBatchSize { get; set; } = 5_000;
}
