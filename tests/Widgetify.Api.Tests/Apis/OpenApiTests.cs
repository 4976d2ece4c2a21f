using System.Net;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

[Collection(SharedApiServer.Name)]
public sealed class OpenApiTests(ApiFixture fixture)
{
    [Fact]
    public async Task Document_Get_ListsTheWidgetAndEmbedPaths()
    {
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json");

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var document = JsonDocument.Parse(text);
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.ShouldContain("/api/widgets", $"paths: {string.Join(", ", paths)}");
        paths.ShouldContain("/api/widgets/{id}");
        paths.ShouldContain("/w/{id}");
    }

    [Fact]
    public async Task Document_WidgetsCollection_HasListAndCreate()
    {
        var paths = await GetPathsAsync();

        var operations = WidgetsCollection(paths).EnumerateObject().Select(o => o.Name).ToList();

        operations.ShouldContain("get");
        operations.ShouldContain("post");
    }

    [Fact]
    public async Task Document_CreateAndReplace_DocumentTheJsonBody()
    {
        var paths = await GetPathsAsync();

        var widgets = WidgetsCollection(paths);

        foreach (var operation in new[] { widgets.GetProperty("post"), paths.GetProperty("/api/widgets/{id}").GetProperty("put") })
        {
            var body = operation.GetProperty("requestBody");
            body.GetProperty("required").GetBoolean().ShouldBeTrue();
            body.GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _).ShouldBeTrue();
        }
    }

    private async Task<JsonElement> GetPathsAsync()
    {
        using var client = fixture.Server.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        return document.RootElement.GetProperty("paths").Clone();
    }

    // The generator may spell the collection path with or without a trailing slash.
    private static JsonElement WidgetsCollection(JsonElement paths) =>
        paths.EnumerateObject().First(p => p.Name.TrimEnd('/') == "/api/widgets").Value;
}
