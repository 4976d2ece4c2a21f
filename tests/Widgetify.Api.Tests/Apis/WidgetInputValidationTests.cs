using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>Every malformed widget body gets a 4xx problem that names the field, never a 500.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetInputValidationTests(ApiFixture fixture)
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxConfigBytes = 16 * 1024;

    private Task<(TenantClient Tenant, HttpResponseMessage Response)> PostRawAsync(string json) => PostAsync(WidgetHttp.Json(json));

    private async Task<(TenantClient Tenant, HttpResponseMessage Response)> PostAsync(HttpContent body)
    {
        var tenant = await fixture.Server.CreateTenantAsync();
        using (body)
        {
            return (tenant, await tenant.Http.PostAsync("/api/widgets", body));
        }
    }

    /// <summary>POSTs <paramref name="json"/>, asserts a 400 problem naming <paramref name="field"/> and that nothing was stored.</summary>
    private Task ShouldRejectAsync(string json, string field) => ShouldRejectAsync(WidgetHttp.Json(json), field);

    /// <summary>POSTs <paramref name="body"/>, asserts a 400 problem naming <paramref name="field"/> and that nothing was stored.</summary>
    private async Task ShouldRejectAsync(HttpContent body, string field)
    {
        var (tenant, response) = await PostAsync(body);
        using (tenant)
        using (response)
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
            (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
        }
    }

    private Task<WidgetDto> ShouldAcceptAsync(string json) => ShouldAcceptAsync(WidgetHttp.Json(json));

    private async Task<WidgetDto> ShouldAcceptAsync(HttpContent body)
    {
        var (tenant, response) = await PostAsync(body);
        using (tenant)
        using (response)
        {
            return await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
        }
    }

    private static string ConfigOfBytes(int bytes)
    {
        const string prefix = "{\"text\":\"", suffix = "\"}";
        return prefix + new string('x', bytes - prefix.Length - suffix.Length) + suffix;
    }

    [Theory]
    [InlineData("{\"name\":\"x\",\"kind\":\"poll\"")]
    [InlineData("{name:\"x\",kind:\"poll\"}")]
    [InlineData("{\"name\":\"x\",\"kind\":\"poll\",}")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{\"name\":\"x\",\"kind\":\"poll\"} {}")]
    [InlineData("{\"name\":\"x\",\"kind\":\"poll\"} // comment")]
    public async Task Post_MalformedJson_Returns400NamingBody(string json) => await ShouldRejectAsync(json, "body");

    [Theory]
    [InlineData("", "empty")]
    [InlineData("  \n", "empty")]
    [InlineData("{\"name\":\"x\"", "ends before it is complete")]
    [InlineData("{\"name\":\"x\",\"kind\":\"poll\",}", "a comma after the last member")]
    [InlineData("[1,]", "a comma after the last member of an object or the last item of an array")]
    public async Task Post_EmptyOrTruncatedBody_SaysSoWithoutTheParsersWords(string json, string says)
    {
        var (tenant, response) = await PostAsync(WidgetHttp.Json(json));
        using (tenant)
        using (response)
        {
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "body");
            var message = problem.ErrorsFor("body");
            message.ShouldContain(says);
            message.ShouldNotContain("isFinalBlock");
            message.ShouldNotContain("depth");
            message.ShouldNotContain("reader options");
        }
    }

    [Theory]
    [InlineData("[{\"name\":\"x\",\"kind\":\"poll\"}]")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task Post_JsonThatIsNotAnObject_Returns400NamingBody(string json) => await ShouldRejectAsync(json, "body");

    [Fact]
    public async Task Post_DuplicateProperty_Returns400()
    {
        await ShouldRejectAsync("""{"name":"x","name":"y","kind":"poll"}""", "body");
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("""{"outer":{"b":1,"b":1}}""")]
    [InlineData("""{"list":[{"c":1,"c":2}]}""")]
    public async Task Post_ConfigWithDuplicateProperty_Returns400NamingConfig(string config)
    {
        await ShouldRejectAsync($$"""{"name":"x","kind":"poll","config":{{config}}}""", "config");
    }

    [Fact]
    public async Task Post_ConfigNestedDeeperThanAllowed_Returns400()
    {
        var config = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);

        await ShouldRejectAsync($$"""{"name":"x","kind":"poll","config":{{config}}}""", "body");
    }

    [Theory]
    [InlineData("""{"kind":"poll"}""")]
    [InlineData("""{"name":42,"kind":"poll"}""")]
    [InlineData("""{"name":null,"kind":"poll"}""")]
    [InlineData("""{"name":["x"],"kind":"poll"}""")]
    [InlineData("""{"name":"","kind":"poll"}""")]
    [InlineData("""{"name":"   ","kind":"poll"}""")]
    [InlineData("""{"name":"\u00a0\u2003","kind":"poll"}""")]
    [InlineData("""{"name":"bad\nname","kind":"poll"}""")]
    [InlineData("""{"name":"bad\tname","kind":"poll"}""")]
    [InlineData("""{"name":"bad\u0000name","kind":"poll"}""")]
    [InlineData("""{"name":"bad\u007fname","kind":"poll"}""")]
    [InlineData("""{"name":"bad\u0085name","kind":"poll"}""")]
    public async Task Post_InvalidName_Returns400NamingName(string json) => await ShouldRejectAsync(json, "name");

    [Theory]
    [InlineData("""{"name":"bad\ud800name","kind":"poll"}""")]
    [InlineData("""{"name":"bad\udc00","kind":"poll"}""")]
    public async Task Post_NameWithLoneSurrogate_Returns400NamingName(string json) => await ShouldRejectAsync(json, "name");

    [Fact]
    public async Task Post_KindWithLoneSurrogate_Returns400NamingKind() =>
        await ShouldRejectAsync("""{"name":"x","kind":"poll\ud800"}""", "kind");

    [Fact]
    public async Task Post_UnknownFieldNamedWithLoneSurrogate_Returns400()
    {
        var (tenant, response) = await PostRawAsync("""{"name":"x","kind":"poll","\ud800":1}""");
        using (tenant)
        using (response)
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        }
    }

    [Theory]
    [InlineData("a", 101)]
    [InlineData("é", 101)]
    [InlineData("😀", 101)]
    [InlineData("a", 1000)]
    public async Task Post_NameLongerThan100CodePoints_Returns400NamingName(string unit, int count)
    {
        var name = string.Concat(Enumerable.Repeat(unit, count));

        await ShouldRejectAsync(WidgetHttp.Json(new { name, kind = "poll" }), "name");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("é")]
    [InlineData("😀")]
    [InlineData("中")]
    public async Task Post_NameOfExactly100CodePoints_IsAcceptedUnchanged(string unit)
    {
        var name = string.Concat(Enumerable.Repeat(unit, 100));

        var widget = await ShouldAcceptAsync(WidgetHttp.Json(new { name, kind = "counter" }));

        widget.Name.ShouldBe(name);
    }

    [Fact]
    public async Task Post_NameOfOneCharacter_IsAccepted()
    {
        (await ShouldAcceptAsync(WidgetHttp.Json(new { name = "x", kind = "counter" }))).Name.ShouldBe("x");
    }

    [Theory]
    [InlineData("""{"name":"x"}""")]
    [InlineData("""{"name":"x","kind":"gadget"}""")]
    [InlineData("""{"name":"x","kind":"Poll"}""")]
    [InlineData("""{"name":"x","kind":""}""")]
    [InlineData("""{"name":"x","kind":5}""")]
    [InlineData("""{"name":"x","kind":null}""")]
    [InlineData("""{"name":"x","kind":{"is":"poll"}}""")]
    public async Task Post_InvalidKind_Returns400NamingKind(string json) => await ShouldRejectAsync(json, "kind");

    [Theory]
    [InlineData("[]")]
    [InlineData("\"{}\"")]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("null")]
    public async Task Post_ConfigNotAnObject_Returns400NamingConfig(string config) =>
        await ShouldRejectAsync($$"""{"name":"x","kind":"poll","config":{{config}}}""", "config");

    [Fact]
    public async Task Post_ConfigOneByteOver16KiB_Returns400NamingConfig()
    {
        await ShouldRejectAsync($$"""{"name":"x","kind":"banner","config":{{ConfigOfBytes(MaxConfigBytes + 1)}}}""", "config");
    }

    [Fact]
    public async Task Post_ConfigOfExactly16KiB_IsAccepted()
    {
        var config = ConfigOfBytes(MaxConfigBytes);
        Encoding.UTF8.GetByteCount(config).ShouldBe(MaxConfigBytes);

        var widget = await ShouldAcceptAsync($$"""{"name":"x","kind":"banner","config":{{config}}}""");

        widget.Config.GetProperty("text").GetString()!.Length.ShouldBe(MaxConfigBytes - 11);
    }

    [Theory]
    [InlineData("""{"text":"a\u0000b"}""")]
    [InlineData("""{"a\u0000":"b"}""")]
    [InlineData("""{"options":["ok",{"deep":"\u0000"}]}""")]
    public async Task Post_ConfigWithNulCharacter_Returns400NamingConfig(string config) =>
        await ShouldRejectAsync($$"""{"name":"x","kind":"poll","config":{{config}}}""", "config");

    [Theory]
    [InlineData("""{"text":"a\ud800b"}""")]
    [InlineData("""{"a\udc00":"b"}""")]
    public async Task Post_ConfigWithLoneSurrogate_Returns400NamingConfig(string config) =>
        await ShouldRejectAsync($$"""{"name":"x","kind":"poll","config":{{config}}}""", "config");

    [Fact]
    public async Task Post_ConfigWithNestedValues_IsStoredAsSent()
    {
        var widget = await ShouldAcceptAsync("""
            {"name":"Poll","kind":"poll","config":{"question":"Tabs?","options":["Tabs","Spaces"],"hideResultsUntilClosed":true,"closesAt":null}}
            """);

        widget.Config.GetProperty("options").EnumerateArray().Select(o => o.GetString()).ShouldBe(["Tabs", "Spaces"]);
        widget.Config.GetProperty("hideResultsUntilClosed").GetBoolean().ShouldBeTrue();
        widget.Config.GetProperty("closesAt").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory]
    [InlineData("tenantId")]
    [InlineData("Name")]
    [InlineData("colour")]
    public async Task Post_UnknownField_Returns400NamingThatField(string field) =>
        await ShouldRejectAsync($$"""{"name":"x","kind":"poll","{{field}}":"y"}""", field);

    [Fact]
    public async Task Post_SeveralInvalidFields_NamesEachOne()
    {
        var (tenant, response) = await PostRawAsync("""{"name":"","kind":"gadget","config":[],"extra":1}""");
        using (tenant)
        using (response)
        {
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "name");
            foreach (var field in (string[])["kind", "config", "extra"])
            {
                problem.ErrorsFor(field).ShouldNotBeEmpty();
            }
        }
    }

    [Fact]
    public async Task Post_ReadOnlyFieldsEchoedBack_AreAcceptedAndIgnored()
    {
        var foreignId = Guid.CreateVersion7();

        var widget = await ShouldAcceptAsync($$"""
            {"id":"{{foreignId}}","name":"x","kind":"counter","config":{},"version":42,"viewCount":1000,
             "createdAt":"2000-01-01T00:00:00Z","updatedAt":"2000-01-01T00:00:00Z"}
            """);

        widget.Id.ShouldNotBe(foreignId);
        widget.Version.ShouldBe(1);
        widget.ViewCount.ShouldBe(0);
        widget.CreatedAt.Year.ShouldBeGreaterThan(2000);
    }

    [Fact]
    public async Task Put_WidgetAsReturnedByGet_IsAcceptedAndServerFieldsIgnored()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Before");
        var echoed = created with { Name = "After", Version = 99, ViewCount = 1000, Id = Guid.CreateVersion7() };

        using var response = await tenant.Http.PutWidgetAsync(created.Id, echoed, "\"1\"");

        var updated = await response.ShouldBeWidgetAsync();
        (updated.Id, updated.Name, updated.Version, updated.ViewCount).ShouldBe((created.Id, "After", 2, 0L));
        updated.CreatedAt.ShouldBe(created.CreatedAt);
    }

    [Fact]
    public async Task Put_InvalidBody_Returns400AndLeavesWidgetUnchanged()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Before");

        using var response = await tenant.Http.PutWidgetAsync(created.Id, new { name = new string('x', 101), kind = "poll" }, "\"1\"");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "name");
        (await tenant.Http.GetWidgetAsync(created.Id)).Version.ShouldBe(1);
    }

    [Fact]
    public async Task Post_BodyOverLimitWithContentLength_Returns413()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = WidgetHttp.Json(PaddedBody(MaxBodyBytes + 1));

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body");
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Theory]
    [InlineData(MaxBodyBytes + 1)]
    [InlineData(MaxBodyBytes * 4)]
    public async Task Post_BodyOverLimitChunked_Returns413(int size)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new UnknownLengthContent(Encoding.UTF8.GetBytes(PaddedBody(size)), "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/widgets") { Content = content };

        using var response = await tenant.Http.SendAsync(request);

        request.Content.Headers.ContentLength.ShouldBeNull("the body must go out chunked, without Content-Length");
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body");
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain($"at most {MaxBodyBytes} bytes");
        detail.ShouldNotContain("max request body size", Case.Insensitive, "Kestrel's wording names its backstop, not the documented limit");
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Fact]
    public async Task Post_BodyOfExactlyTheLimit_IsAccepted()
    {
        await ShouldAcceptAsync(PaddedBody(MaxBodyBytes));
    }

    [Theory]
    [InlineData(MaxBodyBytes - 4096)]
    [InlineData(MaxBodyBytes - 100)]
    [InlineData(MaxBodyBytes)]
    public async Task Post_BodyWithinTheLimitChunked_IsAccepted(int size)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new UnknownLengthContent(Encoding.UTF8.GetBytes(PaddedBody(size)), "application/json");

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/jsonp")]
    public async Task Post_WrongContentType_Returns415NamingContentType(string mediaType)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new StringContent("""{"name":"x","kind":"poll"}""", Encoding.UTF8, mediaType);

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "Content-Type");
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Theory]
    [InlineData("1e-999999")]
    [InlineData("1e131072")]
    [InlineData("1.5e-16383")]
    [InlineData("-0e-16384")]
    [InlineData("1e99999999999999999999")]
    public async Task Post_ConfigNumberPastWhatTheDatabaseStores_Returns400NamingConfig(string number) =>
        await ShouldRejectAsync($$$"""{"name":"x","kind":"counter","config":{"label":"a","start":{{{number}}}}}""", "config");

    [Theory]
    [InlineData("1e-16383")]
    [InlineData("-123.25e-16381")]
    [InlineData("0.5e-16382")]
    public async Task Post_ConfigNumberAtWhatTheDatabaseStores_IsAccepted(string latitude) =>
        await ShouldAcceptAsync($$$"""{"name":"x","kind":"weather","config":{"location":"Null Island","latitude":{{{latitude}}},"longitude":0}}""");

    [Theory]
    [InlineData("{\"name\":\"caf\xE9\",\"kind\":\"counter\"}", 13)]
    [InlineData("{\"name\":\"a\",\"kind\":\"counter\",\"config\":{\"label\":\"caf\xE9\"}}", 52)]
    [InlineData("{\"name\":\"a\",\"kind\":\"counter\",\"config\":{\"\xC3\":1}}", 41)]
    [InlineData("{\"name\":\"a\",\"kind\":\"poll\",\"config\":{\"options\":[\"\xFF\",\"b\"]}}", 49)]
    public async Task Post_BytesThatAreNotUtf8_Returns400SayingWhere(string latin1, int invalidByte)
    {
        // Arrange: a client that sent ISO-8859-1 (each char below 256 one byte), wherever the text is, and labelled it as
        // plain JSON (one that says charset=iso-8859-1 is told that charset is not accepted: Post_CharsetOtherThanUtf8...)
        using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(latin1));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");

        // Act
        var (tenant, response) = await PostAsync(content);

        // Assert: a 400 naming the byte, not a 500 from deep in validation (the parser checks UTF-8 only as it transcodes)
        using (tenant)
        using (response)
        {
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "body");
            problem.ToString().ShouldContain($"byte {invalidByte} starts an invalid sequence");
            (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
        }
    }

    [Fact]
    public async Task Put_ConfigBytesThatAreNotUtf8_Returns400()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/widgets/{created.Id}")
        {
            Content = new ByteArrayContent(Encoding.Latin1.GetBytes("{\"name\":\"a\",\"kind\":\"counter\",\"config\":{\"label\":\"\xFF\"}}")),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        request.Headers.IfMatch.ParseAdd("*");

        using var response = await tenant.Http.SendAsync(request);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "body")).ToString().ShouldContain("not valid UTF-8");
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("identity, deflate")]
    public async Task Post_CompressedBody_Returns415WithAcceptEncodingIdentity(string coding)
    {
        // The bytes are plain JSON: what is refused is the coding the client says it used, before anything is parsed.
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new StringContent("""{"name":"x","kind":"counter"}""", Encoding.UTF8, "application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", coding).ShouldBeTrue();

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
        problem.GetProperty("detail").GetString().ShouldBe(
            $"The body is sent with 'Content-Encoding: {coding}', which this endpoint does not decode: send the widget as JSON, uncompressed and without a Content-Encoding header.");
        response.Headers.GetValues("Accept-Encoding").ShouldBe(["identity"]);
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Fact]
    public async Task Post_IdentityContentEncoding_IsAccepted()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new StringContent("""{"name":"x","kind":"counter"}""", Encoding.UTF8, "application/json");
        content.Headers.ContentEncoding.Add("identity");

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("application/json; charset=utf-16", "utf-16")]
    [InlineData("application/json; charset=iso-8859-1", "iso-8859-1")]
    [InlineData("application/json;;charset=utf-16", "utf-16")] // values a media-type parser refuses still name the body's charset
    [InlineData("application/json; charset=utf-16, text/plain", "utf-16")]
    public async Task Post_CharsetOtherThanUtf8_Returns415NamingIt(string contentType, string charset)
    {
        // The body is refused on its label, before a byte is read: UTF-16 bytes whatever the label says.
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new ByteArrayContent(Encoding.Unicode.GetBytes("""{"name":"x","kind":"counter"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType).ShouldBeTrue();

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
        problem.GetProperty("detail").GetString().ShouldBe(
            $"The body's charset is '{charset}': send the widget as JSON in UTF-8, with 'Content-Type: application/json' (or charset=utf-8).");
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/json;charset=us-ascii")] // a subset of UTF-8
    [InlineData("APPLICATION/JSON")]
    [InlineData("application/vnd.widgetify+json")]
    public async Task Post_JsonMediaTypeVariants_AreAccepted(string contentType)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"x","kind":"counter"}"""));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await tenant.Http.PostAsync("/api/widgets", content);

        await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
    }

    /// <summary>A valid widget body padded with trailing white space to exactly <paramref name="bytes"/> bytes.</summary>
    private static string PaddedBody(int bytes)
    {
        const string body = """{"name":"Padded","kind":"counter"}""";
        return body + new string(' ', bytes - body.Length);
    }
}
