using System.Net;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>POST /api/widgets with an Idempotency-Key: a retry never creates a duplicate.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetsApiIdempotencyTests(ApiFixture fixture)
{
    private const string Body = """{"name":"Retry me","kind":"banner","config":{"text":"Again?"}}""";

    private static async Task<HttpResponseMessage> PostAsync(TenantClient tenant, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/widgets") { Content = WidgetHttp.Json(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key).ShouldBeTrue();
        return await tenant.Http.SendAsync(request);
    }

    [Fact]
    public async Task Post_SameKeyAndBodyTwice_ReplaysTheFirstWidget()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();

        using var first = await PostAsync(tenant, Body, key);
        using var second = await PostAsync(tenant, Body, key);

        var original = await first.ShouldBeWidgetAsync(HttpStatusCode.Created);
        var replayed = await second.ShouldBeWidgetAsync(HttpStatusCode.Created);
        first.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (replayed.Id, replayed.Name, replayed.Version, replayed.CreatedAt).ShouldBe((original.Id, original.Name, original.Version, original.CreatedAt));
        second.Headers.Location!.ToString().ShouldBe($"/api/widgets/{original.Id}");
        second.Headers.ETag!.Tag.ShouldBe("\"1\"");
        (await tenant.Http.ListAllWidgetsAsync()).Select(w => w.Id).ShouldBe([original.Id]);
    }

    [Fact]
    public async Task Post_SameKeyDifferentBody_Returns422AndCreatesNothing()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync(tenant, Body, key);
        var original = await first.ShouldBeWidgetAsync(HttpStatusCode.Created);

        using var second = await PostAsync(tenant, """{"name":"Something else","kind":"counter"}""", key);

        await second.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        (await tenant.Http.ListAllWidgetsAsync()).Select(w => w.Id).ShouldBe([original.Id]);
    }

    [Fact]
    public async Task Post_TenConcurrentRequestsWithSameKeyAndBody_CreateExactlyOneWidget()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostAsync(tenant, Body, key)));

        try
        {
            var widgets = new List<WidgetDto>();
            foreach (var response in responses)
            {
                widgets.Add(await response.ShouldBeWidgetAsync(HttpStatusCode.Created));
            }

            widgets.Select(w => w.Id).Distinct().Count().ShouldBe(1, "every retry gets the same widget");
            responses.Count(r => !r.Headers.Contains("Idempotent-Replayed")).ShouldBe(1, "exactly one request created the widget");
            (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(1);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Post_SameKeyFromTwoTenants_CreatesOneWidgetEach()
    {
        using var first = await fixture.Server.CreateTenantAsync();
        using var second = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();

        using var a = await PostAsync(first, Body, key);
        using var b = await PostAsync(second, Body, key);

        var widgetA = await a.ShouldBeWidgetAsync(HttpStatusCode.Created);
        var widgetB = await b.ShouldBeWidgetAsync(HttpStatusCode.Created);
        b.Headers.Contains("Idempotent-Replayed").ShouldBeFalse("keys are per tenant: another tenant's response must never be replayed");
        widgetB.Id.ShouldNotBe(widgetA.Id);
        (await second.Http.GetWidgetAsync(widgetB.Id)).Id.ShouldBe(widgetB.Id);
    }

    [Fact]
    public async Task Post_DifferentKeysSameBody_CreateTwoWidgets()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var first = await PostAsync(tenant, Body, Guid.NewGuid().ToString());
        using var second = await PostAsync(tenant, Body, Guid.NewGuid().ToString());

        (await first.ShouldBeWidgetAsync(HttpStatusCode.Created)).Id
            .ShouldNotBe((await second.ShouldBeWidgetAsync(HttpStatusCode.Created)).Id);
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(2);
    }

    [Fact]
    public async Task Post_QuotedKey_IsTheSameKeyAsBare()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();

        using var bare = await PostAsync(tenant, Body, key);
        using var quoted = await PostAsync(tenant, Body, $"\"{key}\"");

        var original = await bare.ShouldBeWidgetAsync(HttpStatusCode.Created);
        (await quoted.ShouldBeWidgetAsync(HttpStatusCode.Created)).Id.ShouldBe(original.Id);
        quoted.Headers.Contains("Idempotent-Replayed").ShouldBeTrue();
    }

    [Fact]
    public async Task Post_KeyOfMaximumLength_IsAccepted()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await PostAsync(tenant, Body, new string('k', 255));

        await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(256)]
    public async Task Post_KeyTooLong_Returns400NamingIdempotencyKey(int length)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await PostAsync(tenant, Body, new string('k', length));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "Idempotency-Key");
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("\"\"")]
    public async Task Post_MalformedKey_Returns400NamingIdempotencyKey(string key)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await PostAsync(tenant, Body, key);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "Idempotency-Key");
    }

    [Fact]
    public async Task Post_TwoKeyHeaders_Returns400AndCreatesNothing()
    {
        // Two header lines reach the app as two values, which ToString() joined into one key "a,b"; HttpClient would fold
        // them into one line, so the request goes raw
        using var tenant = await fixture.Server.CreateTenantAsync();
        var address = fixture.Server.BaseAddress;

        var answer = await RawHttp.ExchangeAsync(address.Host, address.Port,
            $"POST /api/widgets HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {tenant.Key}\r\n" +
            $"Idempotency-Key: first-key\r\nIdempotency-Key: second-key\r\nContent-Type: application/json\r\n" +
            $"Content-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}",
            TimeSpan.FromSeconds(30));

        answer.ShouldStartWith("HTTP/1.1 400", Case.Sensitive, answer);
        answer.ShouldContain("Send one Idempotency-Key header, not 2.", Case.Sensitive, answer);
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
    }

    [Fact]
    public async Task Post_InvalidBodyWithKey_DoesNotBurnTheKey()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();

        using var invalid = await PostAsync(tenant, """{"name":"","kind":"poll"}""", key);
        using var valid = await PostAsync(tenant, Body, key);

        await invalid.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "name");
        await valid.ShouldBeWidgetAsync(HttpStatusCode.Created);
        valid.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
    }

    [Fact]
    public async Task Post_ReplayedBody_IsTheOriginalJson()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var key = Guid.NewGuid().ToString();
        using var first = await PostAsync(tenant, Body, key);
        using var second = await PostAsync(tenant, Body, key);

        using var original = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var replayed = JsonDocument.Parse(await second.Content.ReadAsStringAsync());

        JsonElement.DeepEquals(original.RootElement, replayed.RootElement).ShouldBeTrue();
    }
}
