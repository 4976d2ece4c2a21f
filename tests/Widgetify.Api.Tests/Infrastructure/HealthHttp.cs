using System.Net;
using System.Text.Json;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>Reads the health endpoints (/health/live, /health/ready).</summary>
public static class HealthHttp
{
    /// <summary>GETs a health endpoint, asserts the status code, <c>application/health+json</c> and
    /// <c>Cache-Control: no-store</c>, and returns the body.</summary>
    public static async Task<JsonElement> GetHealthAsync(this HttpClient client, string path, HttpStatusCode expected)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, text);
        response.Content.Headers.ContentType.ShouldNotBeNull(text).MediaType.ShouldBe("application/health+json", text);
        response.Headers.CacheControl.ShouldNotBeNull(text).NoStore.ShouldBeTrue(text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
