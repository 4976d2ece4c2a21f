using System.Net;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis.KindConfigs;

/// <summary>Each kind's config rules, on create and on update: a broken rule is a 422 naming <c>config.field</c>, and
/// nothing is stored.</summary>
[Collection(SharedApiServer.Name)]
public sealed class KindConfigValidationTests(ApiFixture fixture)
{
    /// <summary>POSTs a widget of <paramref name="kind"/> with <paramref name="config"/> (raw JSON), asserts a 422 naming
    /// <paramref name="field"/> and that nothing was stored; returns the problem's message for that field.</summary>
    private async Task<string> ShouldRefuseAsync(string kind, string config, string field)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json($$"""{"name":"w","kind":"{{kind}}","config":{{config}}}"""));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, field);
        (await fixture.Server.CountWidgetsAsync(tenant.TenantId)).ShouldBe(0);
        return problem.ErrorsFor(field);
    }

    private async Task<WidgetDto> ShouldAcceptAsync(string kind, string config)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json($$"""{"name":"w","kind":"{{kind}}","config":{{config}}}"""));
        return await response.ShouldBeWidgetAsync(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("{}", "config.question")]
    [InlineData("""{"options":["a","b"]}""", "config.question")]
    [InlineData("""{"question":"  ","options":["a","b"]}""", "config.question")]
    [InlineData("""{"question":7,"options":["a","b"]}""", "config.question")]
    [InlineData("""{"question":"Q?"}""", "config.options")]
    [InlineData("""{"question":"Q?","options":"a,b"}""", "config.options")]
    [InlineData("""{"question":"Q?","options":["only one"]}""", "config.options")]
    [InlineData("""{"question":"Q?","options":["a",""]}""", "config.options")]
    [InlineData("""{"question":"Q?","options":["a","   "]}""", "config.options")]
    [InlineData("""{"question":"Q?","options":["a",2]}""", "config.options")]
    [InlineData("""{"question":"Q?","options":["Yes"," yes "]}""", "config.options")]
    [InlineData("""{"question":"Q?","options":["a","b"],"closesAt":"tomorrow"}""", "config.closesAt")]
    [InlineData("""{"question":"Q?","options":["a","b"],"closesAt":"2030-01-01T00:00:00"}""", "config.closesAt")]
    [InlineData("""{"question":"Q?","options":["a","b"],"closesAt":1893456000}""", "config.closesAt")]
    [InlineData("""{"question":"Q?","options":["a","b"],"hideResultsUntilClosed":"yes"}""", "config.hideResultsUntilClosed")]
    [InlineData("""{"question":"Q?","options":["a","b"],"colour":"red"}""", "config.colour")]
    public async Task Post_PollBreakingARule_Returns422NamingTheField(string config, string field) =>
        await ShouldRefuseAsync("poll", config, field);

    [Fact]
    public async Task Post_PollWithTwentyOneOptions_Returns422SayingHowMany()
    {
        var options = string.Join(",", Enumerable.Range(1, 21).Select(i => $"\"option {i}\""));

        var message = await ShouldRefuseAsync("poll", $$"""{"question":"Q?","options":[{{options}}]}""", "config.options");

        message.ShouldContain("got 21");
    }

    [Fact]
    public async Task Post_PollWithEverythingSet_IsAccepted()
    {
        var options = string.Join(",", Enumerable.Range(1, 20).Select(i => $"\"option {i}\""));

        var widget = await ShouldAcceptAsync("poll", $$"""
            {"question":"Which?","options":[{{options}}],"closesAt":"2030-01-01T18:00:00+01:00","hideResultsUntilClosed":true}
            """);

        widget.Config.GetProperty("options").GetArrayLength().ShouldBe(20);
    }

    [Theory]
    [InlineData("""{"timeZone":"Mars/Olympus_Mons"}""")]
    [InlineData("""{"timeZone":"Europe/Lisbn"}""")]
    [InlineData("""{"timeZone":"Pacific Standard Time"}""")]
    [InlineData("""{"timeZone":"localtime"}""")] // files of the zone folder that are not IANA names, which browsers refuse
    [InlineData("""{"timeZone":"posixrules"}""")]
    [InlineData("""{"timeZone":"Factory"}""")]
    [InlineData("""{"timeZone":"right/UTC"}""")]
    [InlineData("""{"timeZone":"posix/Europe/Lisbon"}""")]
    [InlineData("""{"timeZone":"../zoneinfo/UTC"}""")]
    [InlineData("""{"timeZone":"Europe//Lisbon"}""")]
    [InlineData("""{"timeZone":""}""")]
    [InlineData("""{"timeZone":3}""")]
    [InlineData("""{"timeZone":"../../etc/passwd"}""")]
    public async Task Post_ClockWithUnknownZone_Returns422NamingTimeZone(string config) =>
        await ShouldRefuseAsync("clock", config, "config.timeZone");

    [Theory]
    [InlineData("""{"timeZone":"Europe/Lisbon"}""")]
    [InlineData("""{"timeZone":"America/Argentina/Buenos_Aires"}""")]
    [InlineData("""{"timeZone":"UTC"}""")]
    [InlineData("{}")]
    public async Task Post_ClockInAnIanaZoneOrNone_IsAccepted(string config) => await ShouldAcceptAsync("clock", config);

    [Fact]
    public async Task Post_ClockWithMisspelledField_Returns422NamingIt()
    {
        var message = await ShouldRefuseAsync("clock", """{"timezone":"Europe/Lisbon"}""", "config.timezone");

        message.ShouldContain("'timeZone'");
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,hi")]
    [InlineData("/relative/path")]
    [InlineData("//example.com/no-scheme")]
    [InlineData("ftp://example.com/file")]
    [InlineData("https://")]
    [InlineData("")]
    public async Task Post_BannerWithLinkThatIsNotHttp_Returns422NamingLink(string link) =>
        await ShouldRefuseAsync("banner", $$"""{"text":"Sale","link":"{{link}}"}""", "config.link");

    [Theory]
    [InlineData("""{"text":5}""", "config.text")]
    [InlineData("""{"text":"Sale","href":"https://example.com"}""", "config.href")]
    public async Task Post_BannerBreakingARule_Returns422NamingTheField(string config, string field) =>
        await ShouldRefuseAsync("banner", config, field);

    [Theory]
    [InlineData("""{"label":["a"]}""", "config.label")]
    [InlineData("""{"label":"visits","start":5}""", "config.start")]
    public async Task Post_CounterBreakingARule_Returns422NamingTheField(string config, string field) =>
        await ShouldRefuseAsync("counter", config, field);

    [Theory]
    [InlineData("{}", "config.location")]
    [InlineData("""{"location":""}""", "config.location")]
    [InlineData("""{"location":"Quito","latitude":91,"longitude":0}""", "config.latitude")]
    [InlineData("""{"location":"Quito","latitude":0,"longitude":"east"}""", "config.longitude")]
    [InlineData("""{"location":"Quito","latitude":-0.2}""", "config.longitude")]
    [InlineData("""{"location":"Quito","units":"metric"}""", "config.units")]
    public async Task Post_WeatherBreakingARule_Returns422NamingTheField(string config, string field) =>
        await ShouldRefuseAsync("weather", config, field);

    [Fact]
    public async Task Put_BreakingAKindRule_Returns422AndLeavesTheWidgetUnchanged()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Clock", "clock", new { timeZone = "Europe/Lisbon" });

        using var response = await tenant.Http.PutWidgetAsync(created.Id, new { name = "Clock", kind = "clock", config = new { timeZone = "Nowhere/Atlantis" } }, "\"1\"");

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "config.timeZone");
        var stored = await tenant.Http.GetWidgetAsync(created.Id);
        (stored.Version, stored.Config.GetProperty("timeZone").GetString()).ShouldBe((1, "Europe/Lisbon"));
    }

    [Fact]
    public async Task Put_ChangingKind_ChecksTheNewKindsRules()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = await tenant.Http.CreateWidgetAsync("Was a counter", "counter");

        using var response = await tenant.Http.PutWidgetAsync(created.Id, new { name = "Now a poll", kind = "poll", config = new { question = "Q?" } }, "\"1\"");

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "config.options");
    }

    [Fact]
    public async Task Post_ShapeAndKindErrorsTogether_AnswersTheShapeFirst()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.PostAsync("/api/widgets", WidgetHttp.Json("""{"name":"","kind":"poll","config":{}}"""));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "name");
    }
}
