using System.Text.Json;

namespace Widgetify.Api.Data;

/// <summary>A widget row as stored.</summary>
internal sealed record Widget(
    Guid Id,
    Guid TenantId,
    string Name,
    string Kind,
    JsonElement Config,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Version,
    long ViewCount);

/// <summary>The editable part of a widget, already validated.</summary>
internal sealed record WidgetDraft(string Name, string Kind, string ConfigJson);
