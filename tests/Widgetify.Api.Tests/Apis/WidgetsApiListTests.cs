using System.Net;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Apis;

/// <summary>GET /api/widgets: keyset pagination, kind filter and name search.</summary>
[Collection(SharedApiServer.Name)]
public sealed class WidgetsApiListTests(ApiFixture fixture)
{
    [Fact]
    public async Task List_25WidgetsWithLimit10_PagesThroughAllInCreationOrder()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var created = new List<Guid>();
        for (var i = 0; i < 25; i++)
        {
            created.Add((await tenant.Http.CreateWidgetAsync($"Widget {i:D2}")).Id);
        }

        var pages = await tenant.Http.ListAllPagesAsync(limit: 10);

        pages.Select(p => p.Items.Count).ShouldBe([10, 10, 5]);
        pages[0].NextCursor.ShouldNotBeNull();
        pages[1].NextCursor.ShouldNotBeNull();
        pages[2].NextCursor.ShouldBeNull();
        var listed = pages.SelectMany(p => p.Items).ToList();
        listed.Select(w => w.Id).Distinct().Count().ShouldBe(25);
        listed.Select(w => w.Id).ShouldBe(created, "widgets are listed oldest first");
        listed.Select(w => w.Name).ShouldBe(Enumerable.Range(0, 25).Select(i => $"Widget {i:D2}"));
    }

    [Fact]
    public async Task List_ExactlyOneFullPage_HasNoNextCursor()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        for (var i = 0; i < 3; i++)
        {
            await tenant.Http.CreateWidgetAsync();
        }

        var page = await tenant.Http.ListWidgetsAsync("?limit=3");

        page.Items.Count.ShouldBe(3);
        page.NextCursor.ShouldBeNull("there is no further page, so there must be no cursor to an empty one");
    }

    [Fact]
    public async Task List_WithoutLimit_Returns20PerPage()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        for (var i = 0; i < 21; i++)
        {
            await tenant.Http.CreateWidgetAsync();
        }

        var page = await tenant.Http.ListWidgetsAsync();

        page.Items.Count.ShouldBe(20);
        page.NextCursor.ShouldNotBeNull();
    }

    [Fact]
    public async Task List_WidgetCreatedWhilePaging_AppearsOnLaterPageWithoutRepeats()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        for (var i = 0; i < 4; i++)
        {
            await tenant.Http.CreateWidgetAsync($"Early {i}");
        }

        var first = await tenant.Http.ListWidgetsAsync("?limit=2");
        var late = await tenant.Http.CreateWidgetAsync("Late");
        var rest = await tenant.Http.ListAllWidgetsAsync("&cursor=" + Uri.EscapeDataString(first.NextCursor!));

        var all = first.Items.Concat(rest).Select(w => w.Name).ToList();
        all.ShouldBe(["Early 0", "Early 1", "Early 2", "Early 3", "Late"]);
        rest[^1].Id.ShouldBe(late.Id);
    }

    [Fact]
    public async Task List_KindFilter_ReturnsOnlyThatKind()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll1 = await tenant.Http.CreateWidgetAsync("A poll", "poll");
        await tenant.Http.CreateWidgetAsync("A counter", "counter");
        var poll2 = await tenant.Http.CreateWidgetAsync("Another poll", "poll");
        await tenant.Http.CreateWidgetAsync("A clock", "clock");

        var polls = await tenant.Http.ListAllWidgetsAsync("&kind=poll");

        polls.Select(w => w.Id).ShouldBe([poll1.Id, poll2.Id]);
    }

    [Fact]
    public async Task List_KindFilterWithPaging_FollowsCursorWithinKind()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var polls = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            polls.Add((await tenant.Http.CreateWidgetAsync($"Poll {i}", "poll")).Id);
            await tenant.Http.CreateWidgetAsync($"Banner {i}", "banner");
        }

        var pages = await tenant.Http.ListAllPagesAsync("&kind=poll", limit: 2);

        pages.Count.ShouldBe(3);
        pages.SelectMany(p => p.Items).Select(w => w.Id).ShouldBe(polls);
    }

    [Fact]
    public async Task List_SearchQ_MatchesSubstringCaseInsensitively()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var lisbon = await tenant.Http.CreateWidgetAsync("Weather in Lisbon", "weather");
        await tenant.Http.CreateWidgetAsync("Weather in Osaka", "weather");
        var clock = await tenant.Http.CreateWidgetAsync("LISBON clock", "clock");

        var found = await tenant.Http.ListAllWidgetsAsync("&q=lisBON");
        var foundClocks = await tenant.Http.ListAllWidgetsAsync("&q=lisbon&kind=clock");

        found.Select(w => w.Id).ShouldBe([lisbon.Id, clock.Id]);
        foundClocks.Select(w => w.Id).ShouldBe([clock.Id]);
    }

    [Theory]
    [InlineData("%", "100% real")]
    [InlineData("_", "snake_case")]
    [InlineData("\\", "back\\slash")]
    [InlineData("0%", "100% real")]
    public async Task List_SearchWithLikeWildcards_MatchesThemLiterally(string q, string expected)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        foreach (var name in (string[])["100% real", "100 percent", "snake_case", "snakecase", "back\\slash", "plain"])
        {
            await tenant.Http.CreateWidgetAsync(name);
        }

        var found = await tenant.Http.ListAllWidgetsAsync("&q=" + Uri.EscapeDataString(q));

        found.Select(w => w.Name).ShouldBe([expected]);
    }

    [Fact]
    public async Task List_EmptyQ_ReturnsEverything()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        await tenant.Http.CreateWidgetAsync("One");
        await tenant.Http.CreateWidgetAsync("Two");

        var found = await tenant.Http.ListAllWidgetsAsync("&q=");

        found.Count.ShouldBe(2);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("101")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public async Task List_InvalidLimit_Returns400NamingLimit(string limit)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/widgets?limit=" + Uri.EscapeDataString(limit));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "limit");
        problem.ErrorsFor("limit").ShouldContain(limit);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("100")]
    public async Task List_LimitAtBounds_IsAccepted(string limit)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        await tenant.Http.CreateWidgetAsync();

        var page = await tenant.Http.ListWidgetsAsync("?limit=" + limit);

        page.Items.Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA!!")]
    public async Task List_BadCursor_Returns400NamingCursor(string cursor)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/widgets?cursor=" + Uri.EscapeDataString(cursor));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "cursor");
    }

    [Theory]
    [InlineData("gadget")]
    [InlineData("Poll")]
    public async Task List_UnknownKind_Returns400NamingKind(string kind)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/widgets?kind=" + kind);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "kind");
    }

    [Theory]
    [InlineData(101, "a")]
    [InlineData(1, "\t")]
    [InlineData(1, "\0")]
    public async Task List_InvalidQ_Returns400NamingQ(int repeat, string text)
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var q = string.Concat(Enumerable.Repeat(text, repeat));

        using var response = await tenant.Http.GetAsync("/api/widgets?q=" + Uri.EscapeDataString(q));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "q");
    }

    [Fact]
    public async Task List_QOf100EmojiAsAName_IsAcceptedAndFindsIt()
    {
        // A name is at most 100 code points; q counted UTF-16 units, so the name it allowed could not be searched for
        using var tenant = await fixture.Server.CreateTenantAsync();
        var name = string.Concat(Enumerable.Repeat("😀", 100));
        await tenant.Http.CreateWidgetAsync(name);

        using var response = await tenant.Http.GetAsync("/api/widgets?q=" + Uri.EscapeDataString(name));

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        using var page = JsonDocument.Parse(text);
        page.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()).ShouldBe([name]);
    }

    [Fact]
    public async Task List_SeveralInvalidParameters_NamesEachOne()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();

        using var response = await tenant.Http.GetAsync("/api/widgets?limit=0&cursor=zzz&kind=gadget");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "limit");
        problem.ErrorsFor("cursor").ShouldNotBeEmpty();
        problem.ErrorsFor("kind").ShouldNotBeEmpty();
    }
}
