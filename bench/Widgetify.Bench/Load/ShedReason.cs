using System.Text.Json;

namespace Widgetify.Bench.Load;

/// <summary>The <c>reason</c> member of the service's 503 problem body (<c>queue_timeout</c>, <c>no_capacity</c>, ...):
/// which admission rule shed the request.</summary>
internal static class ShedReason
{
    /// <summary>The reason the body names; null when it is not JSON or names none (HAProxy's own 503 has an HTML body).</summary>
    public static string? Of(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                ? reason.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
