using System.Net;
using System.Text;
using System.Text.Json;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A widget as the API returns it.</summary>
public sealed record WidgetDto(
    Guid Id, string Name, string Kind, JsonElement Config, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version, long ViewCount);

/// <summary>One page of <c>GET /api/widgets</c>.</summary>
public sealed record WidgetPageDto(IReadOnlyList<WidgetDto> Items, string? NextCursor);

/// <summary>Small helpers over the widget API, so that tests state what they check rather than how to call it.</summary>
public static class WidgetHttp
{
    /// <summary>A JSON body exactly as written (for malformed or hand-crafted bodies).</summary>
    public static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    /// <summary>A JSON body serialized from <paramref name="value"/>.</summary>
    public static StringContent Json(object value) => Json(JsonSerializer.Serialize(value, JsonSerializerOptions.Web));

    /// <summary>Creates a widget and asserts 201; returns it. Without <paramref name="config"/>, the smallest config
    /// its kind accepts (<see cref="ValidConfig"/>).</summary>
    public static async Task<WidgetDto> CreateWidgetAsync(this HttpClient http, string name = "Widget", string kind = "counter", object? config = null)
    {
        using var response = await http.PostAsync("/api/widgets", Json(new { name, kind, config = config ?? ValidConfig(kind) }));
        return await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
    }

    /// <summary>A config that <paramref name="kind"/>'s rules accept (a poll needs its question and options, a weather
    /// widget its location; the other kinds' fields are optional).</summary>
    public static object ValidConfig(string kind) => kind switch
    {
        "poll" => new { question = "Tabs or spaces?", options = (string[])["Tabs", "Spaces"] },
        "weather" => new { location = "Lisbon" },
        _ => new { },
    };

    /// <summary>Asserts the status and JSON content type, and reads the widget.</summary>
    public static async Task<WidgetDto> ShouldBeWidgetAsync(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, $"Body: {text}");
        response.Content.Headers.ContentType.ShouldNotBeNull($"Body: {text}").MediaType.ShouldBe("application/json", $"Body: {text}");
        return JsonSerializer.Deserialize<WidgetDto>(text, JsonSerializerOptions.Web)!;
    }

    public static async Task<WidgetDto> GetWidgetAsync(this HttpClient http, Guid id)
    {
        using var response = await http.GetAsync($"/api/widgets/{id}");
        return await response.ShouldBeWidgetAsync();
    }

    /// <summary>Waits until the widget's viewCount, read through the API, is <paramref name="expected"/> (views are
    /// buffered and flushed in the background); fails with the last count seen.</summary>
    public static async Task WaitForViewCountAsync(this HttpClient http, Guid id, long expected, string because)
    {
        long? seen = null;
        await BoundedWait.UntilAsync(
            async () => (seen = (await http.GetWidgetAsync(id)).ViewCount) == expected,
            () => $"viewCount {seen}",
            because);
    }

    /// <summary>PUT with an If-Match header (raw, unvalidated, so malformed values can be sent too).</summary>
    public static async Task<HttpResponseMessage> PutWidgetAsync(this HttpClient http, Guid id, object body, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/widgets/{id}") { Content = Json(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch).ShouldBeTrue();
        }

        return await http.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> DeleteWidgetAsync(this HttpClient http, Guid id, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/widgets/{id}");
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch).ShouldBeTrue();
        }

        return await http.SendAsync(request);
    }

    /// <summary>GETs one page and asserts 200.</summary>
    public static async Task<WidgetPageDto> ListWidgetsAsync(this HttpClient http, string query = "")
    {
        using var response = await http.GetAsync("/api/widgets" + query);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"Body: {text}");
        return JsonSerializer.Deserialize<WidgetPageDto>(text, JsonSerializerOptions.Web)!;
    }

    /// <summary>Follows nextCursor from the first page to the last; returns the pages in order.</summary>
    public static async Task<List<WidgetPageDto>> ListAllPagesAsync(this HttpClient http, string filter = "", int limit = 100)
    {
        var pages = new List<WidgetPageDto>();
        string? cursor = null;
        do
        {
            var query = $"?limit={limit}{filter}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await http.ListWidgetsAsync(query);
            pages.Add(page);
            cursor = page.NextCursor;
            pages.Count.ShouldBeLessThan(1000, "pagination does not end");
        }
        while (cursor is not null);

        return pages;
    }

    /// <summary>Every widget the client's tenant sees, in list order.</summary>
    public static async Task<List<WidgetDto>> ListAllWidgetsAsync(this HttpClient http, string filter = "") =>
        [.. (await http.ListAllPagesAsync(filter)).SelectMany(p => p.Items)];

    /// <summary>A request with an Accept header, for the embed path.</summary>
    public static async Task<HttpResponseMessage> GetWithAcceptAsync(this HttpClient http, string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept).ShouldBeTrue();
        return await http.SendAsync(request);
    }
}
