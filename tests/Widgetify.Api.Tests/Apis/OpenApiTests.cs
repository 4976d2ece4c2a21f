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

    [Fact]
    public async Task Document_OwnerEndpoints_DescribeStatsEmbedSnippetAndEmbedJs()
    {
        var paths = await GetPathsAsync();

        var stats = paths.GetProperty("/api/widgets/{id}/stats").GetProperty("get");
        var parameters = stats.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.Clone());
        parameters["from"].GetProperty("schema").GetProperty("format").GetString().ShouldBe("date-time");
        parameters["to"].GetProperty("schema").GetProperty("format").GetString().ShouldBe("date-time");
        parameters["interval"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ShouldBe(["hour", "day"]);
        stats.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema")
            .GetProperty("$ref").GetString().ShouldBe("#/components/schemas/WidgetStats");
        stats.GetProperty("responses").TryGetProperty("400", out _).ShouldBeTrue();
        stats.GetProperty("responses").TryGetProperty("404", out _).ShouldBeTrue();

        var embed = paths.GetProperty("/api/widgets/{id}/embed").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
        embed.TryGetProperty("text/html", out _).ShouldBeTrue(embed.GetRawText());
        embed.TryGetProperty("application/json", out _).ShouldBeTrue(embed.GetRawText());
        paths.GetProperty("/embed.js").TryGetProperty("get", out _).ShouldBeTrue();
        paths.GetProperty("/w/{id}/click").TryGetProperty("get", out _).ShouldBeTrue("the banner's click endpoint is a visitor endpoint too");
        paths.GetProperty("/w/{id}/vote").TryGetProperty("post", out _).ShouldBeTrue("the poll's vote endpoint is a visitor endpoint too");
    }

    [Fact]
    public async Task Document_WidgetBody_IsDiscriminatedByKindWithEachKindsConfig()
    {
        using var client = fixture.Server.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var paths = document.RootElement.GetProperty("paths");

        // Act: the body of POST and PUT
        var bodies = new[] { WidgetsCollection(paths).GetProperty("post"), paths.GetProperty("/api/widgets/{id}").GetProperty("put") }
            .Select(o => o.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());

        // Assert
        bodies.ShouldAllBe(r => r == "#/components/schemas/WidgetRequest");
        var request = schemas.GetProperty("WidgetRequest");
        request.GetProperty("discriminator").GetProperty("propertyName").GetString().ShouldBe("kind");
        request.GetProperty("oneOf").GetArrayLength().ShouldBe(5);
        foreach (var kind in new[] { "counter", "poll", "banner", "clock", "weather" })
        {
            request.GetProperty("discriminator").GetProperty("mapping").GetProperty(kind).GetString().ShouldNotBeNull().ShouldEndWith("WidgetRequest");
        }

        Properties(schemas, "CounterConfig").ShouldBe(["label"]);
        Properties(schemas, "PollConfig").ShouldBe(["question", "options", "closesAt", "hideResultsUntilClosed"]);
        Properties(schemas, "BannerConfig").ShouldBe(["text", "link"]);
        Properties(schemas, "ClockConfig").ShouldBe(["timeZone"]);
        Properties(schemas, "WeatherConfig").ShouldBe(["location", "latitude", "longitude"]);
        // As the write-time rules: required fields, and no field a kind does not read (422 at write time)
        schemas.GetProperty("PollConfig").GetProperty("required").EnumerateArray().Select(r => r.GetString()).ShouldBe(["question", "options"], ignoreOrder: true);
        schemas.GetProperty("WeatherConfig").GetProperty("required").EnumerateArray().Select(r => r.GetString()).ShouldBe(["location"]);
        schemas.GetProperty("BannerConfig").GetProperty("additionalProperties").GetBoolean().ShouldBeFalse();
        var options = schemas.GetProperty("PollConfig").GetProperty("properties").GetProperty("options");
        options.GetProperty("minItems").GetInt32().ShouldBe(2);
        options.GetProperty("maxItems").GetInt32().ShouldBe(20);
        options.GetProperty("uniqueItems").GetBoolean().ShouldBeTrue();
        options.GetProperty("items").GetProperty("minLength").GetInt32().ShouldBe(1);
        schemas.GetProperty("PollConfig").GetProperty("properties").GetProperty("closesAt").GetProperty("format").GetString().ShouldBe("date-time");
        schemas.GetProperty("BannerConfig").GetProperty("properties").GetProperty("link").GetProperty("format").GetString().ShouldBe("uri");
    }

    private static List<string> Properties(JsonElement schemas, string name) =>
        [.. schemas.GetProperty(name).GetProperty("properties").EnumerateObject().Select(p => p.Name)];

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
