using System.Globalization;
using System.Text.Json;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>One bucket of <c>GET /api/widgets/{id}/stats</c>.</summary>
public sealed record StatsBucketDto(DateTimeOffset Start, long Views, long Votes, long Clicks);

/// <summary>The totals of <c>GET /api/widgets/{id}/stats</c>.</summary>
public sealed record StatsTotalsDto(long Views, long Votes, long Clicks);

/// <summary>The body of <c>GET /api/widgets/{id}/stats</c>.</summary>
public sealed record StatsDto(
    string Interval, DateTimeOffset From, DateTimeOffset To, DateTimeOffset RetainedFrom, IReadOnlyList<StatsBucketDto> Buckets, StatsTotalsDto Totals);

/// <summary>Helpers over the statistics endpoint and its rollup table.</summary>
public static class StatsHttp
{
    /// <summary>An instant as the query string takes it (UTC, with Z: a '+' offset would need escaping).</summary>
    public static string Iso(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>GETs the widget's statistics and asserts 200.</summary>
    public static async Task<StatsDto> GetStatsAsync(this HttpClient http, Guid id, string query = "")
    {
        using var response = await http.GetAsync($"/api/widgets/{id}/stats{(query.Length > 0 ? "?" + query : "")}");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, $"Body: {text}");
        return JsonSerializer.Deserialize<StatsDto>(text, JsonSerializerOptions.Web)!;
    }

    /// <summary>Adds to a widget's hourly rollup row directly, as the vote and click writers do in their transactions.</summary>
    public static async Task AddActivityAsync(string connectionString, Guid widgetId, DateTimeOffset hour, long views = 0, long votes = 0, long clicks = 0)
    {
        await using var connection = await UnpooledConnection.OpenAsync(connectionString, "stats-test");
        await using var command = new Npgsql.NpgsqlCommand("""
            INSERT INTO widget_activity_hourly AS a (widget_id, hour, views, votes, clicks) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (widget_id, hour) DO UPDATE
            SET views = a.views + excluded.views, votes = a.votes + excluded.votes, clicks = a.clicks + excluded.clicks
            """, connection);
        command.Parameters.Add(new() { Value = widgetId });
        command.Parameters.Add(new() { Value = hour });
        command.Parameters.Add(new() { Value = views });
        command.Parameters.Add(new() { Value = votes });
        command.Parameters.Add(new() { Value = clicks });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The hours the rollup table holds for a widget, oldest first.</summary>
    public static async Task<List<DateTimeOffset>> HoursAsync(string connectionString, Guid widgetId)
    {
        await using var connection = await UnpooledConnection.OpenAsync(connectionString, "stats-test");
        await using var command = new Npgsql.NpgsqlCommand("SELECT hour FROM widget_activity_hourly WHERE widget_id = $1 ORDER BY hour", connection);
        command.Parameters.Add(new() { Value = widgetId });
        var hours = new List<DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            hours.Add(reader.GetFieldValue<DateTimeOffset>(0));
        }

        return hours;
    }
}
