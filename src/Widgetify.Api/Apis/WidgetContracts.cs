using System.Text.Json;
using Widgetify.Api.Data;

namespace Widgetify.Api.Apis;

/// <summary>A widget as the API returns it.</summary>
/// <param name="Id">UUIDv7, time-ordered.</param>
/// <param name="Name">1 to 100 characters.</param>
/// <param name="Kind">counter, poll, banner, clock or weather.</param>
/// <param name="Config">Kind-specific settings, a JSON object of at most 16 KiB.</param>
/// <param name="CreatedAt">When the widget was created.</param>
/// <param name="UpdatedAt">When the widget was last changed.</param>
/// <param name="Version">Incremented by every change; the ETag is this number.</param>
/// <param name="ViewCount">Embed views; buffered, so it may lag by about a second.</param>
internal sealed record WidgetResponse(
    Guid Id, string Name, string Kind, JsonElement Config, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version, long ViewCount)
{
    public static WidgetResponse From(Widget widget) => new(
        widget.Id, widget.Name, widget.Kind, widget.Config, widget.CreatedAt, widget.UpdatedAt, widget.Version, widget.ViewCount);
}

/// <summary>One page of widgets.</summary>
/// <param name="Items">The widgets, oldest first.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page.</param>
internal sealed record WidgetPage(IReadOnlyList<WidgetResponse> Items, string? NextCursor);

/// <summary>The body of POST and PUT (documentation only: bodies are read by <see cref="WidgetInputReader"/>).</summary>
/// <param name="Name">1 to 100 characters, no control characters.</param>
/// <param name="Kind">counter, poll, banner, clock or weather.</param>
/// <param name="Config">A JSON object of at most 16 KiB; defaults to {}.</param>
internal sealed record WidgetRequest(string Name, string Kind, JsonElement? Config);
