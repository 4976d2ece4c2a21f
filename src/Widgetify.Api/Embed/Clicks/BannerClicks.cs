using Widgetify.Api.Data;
using Widgetify.Core.Deadlines;

namespace Widgetify.Api.Embed.Clicks;

/// <summary>Counts a banner's clicks, written through: the banner's total (<c>widgets.click_count</c>) and its hour's
/// rollup (<c>widget_activity_hourly.clicks</c>) in one statement, so the two never disagree. Not buffered as views
/// are: a click is a visitor leaving for the owner's site, some hundredth of the views, and a count the owner may bill
/// on is better exact than eventually flushed.</summary>
internal sealed class BannerClicks(WidgetifyDataSources dataSources, TimeProvider timeProvider)
{
    /// <summary>Adds one click to <paramref name="widgetId"/> (nothing when it was deleted meanwhile). The visitor's request
    /// stops waiting at its deadline even when PostgreSQL does not answer the cancel request (<see cref="DetachedCancellation"/>).</summary>
    public Task AddAsync(Guid widgetId, CancellationToken cancellationToken) =>
        DetachedCancellation.RunAsync(ct => AddCoreAsync(widgetId, ct), cancellationToken);

    private async Task<int> AddCoreAsync(Guid widgetId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("""
            WITH clicked AS (
                UPDATE widgets SET click_count = click_count + 1 WHERE id = $1 RETURNING id
            )
            INSERT INTO widget_activity_hourly AS a (widget_id, hour, clicks)
            SELECT id, date_bin('1 hour', $2::timestamptz, timestamptz '2000-01-01 00:00:00+00'), 1 FROM clicked
            ON CONFLICT (widget_id, hour) DO UPDATE SET clicks = a.clicks + 1
            """);
        command.Parameters.Add(new() { Value = widgetId });
        command.Parameters.Add(new() { Value = timeProvider.GetUtcNow() });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
