using System.Net;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Polls;

/// <summary>Voting on a poll through the embed, POST /w/{id}/vote, and the poll's embed afterwards: on the real
/// service and a real PostgreSQL.</summary>
[Collection(SharedApiServer.Name)]
public sealed class VoteApiTests(ApiFixture fixture) : IDisposable
{
    private static readonly string[] Options = ["Tea", "Coffee", "Water"];

    private readonly HttpClient _visitor = PollHttp.CreateVisitorClient(fixture.Server.BaseAddress);

    public void Dispose() => _visitor.Dispose();

    [Fact]
    public async Task Vote_FormPostWithoutJavaScript_Answers303ToEmbed_WhichThenShowsTheResults()
    {
        var poll = await CreatePollAsync();
        using var first = await _visitor.GetEmbedAsync(poll);
        var html = await first.Content.ReadAsStringAsync();
        first.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var token = first.VisitorCookie().ShouldNotBeNull("the first embed of a poll gives the visitor a token");
        html.ShouldContain($"action=\"/w/{poll}/vote\"");
        html.ShouldContain("type=\"radio\" name=\"option\" value=\"2\"");
        html.ShouldContain($"name=\"visitor\" value=\"{token}\"");

        using var vote = await _visitor.VoteAsync(poll, "1", cookie: token);

        vote.StatusCode.ShouldBe(HttpStatusCode.SeeOther, await vote.Content.ReadAsStringAsync());
        vote.Headers.Location!.OriginalString.ShouldBe($"/w/{poll}");
        using var after = await _visitor.GetEmbedAsync(poll, token);
        var results = await after.Content.ReadAsStringAsync();
        results.ShouldContain("You voted for <strong>Coffee</strong>");
        results.ShouldContain("1 vote (100%)");
        results.ShouldContain("0 votes (0%)");
        results.ShouldNotContain("<form");
    }

    [Fact]
    public async Task Embed_Poll_IsPrivateAndSetsALaxCookieOverPlainHttp_WhileOtherKindsStayPublic()
    {
        var poll = await CreatePollAsync();

        using var response = await _visitor.GetEmbedAsync(poll);

        response.Headers.CacheControl!.Public.ShouldBeFalse();
        response.Headers.CacheControl.NoStore.ShouldBeTrue();
        response.Headers.CacheControl.Private.ShouldBeTrue();
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("widgetify_visitor=", StringComparison.Ordinal));
        cookie.ShouldContain("SameSite=Lax", Case.Insensitive);
        cookie.ShouldContain("HttpOnly", Case.Insensitive);
        cookie.ShouldNotContain("Secure", Case.Insensitive);
        using var withCookie = await _visitor.GetEmbedAsync(poll, response.VisitorCookie());
        withCookie.Headers.Contains("Set-Cookie").ShouldBeFalse("a visitor who has a token keeps it");
    }

    [Fact]
    public async Task Vote_SameVisitorTwice_CountsOnce_AndASecondVisitorCounts()
    {
        var poll = await CreatePollAsync();
        var alice = PollHttp.NewVisitor();

        var first = await _visitor.VoteJsonAsync(poll, 0, alice);
        var again = await _visitor.VoteJsonAsync(poll, 2, alice);
        var bob = await _visitor.VoteJsonAsync(poll, 2, PollHttp.NewVisitor());

        first.GetProperty("counted").GetBoolean().ShouldBeTrue();
        first.GetProperty("totalVotes").GetInt64().ShouldBe(1);
        again.GetProperty("counted").GetBoolean().ShouldBeFalse("a visitor's second vote is not counted");
        again.GetProperty("yourVote").GetInt32().ShouldBe(0, "the first vote stands");
        again.GetProperty("totalVotes").GetInt64().ShouldBe(1);
        bob.GetProperty("counted").GetBoolean().ShouldBeTrue();
        bob.GetProperty("totalVotes").GetInt64().ShouldBe(2);
        PollHttp.VotesOf(bob).ShouldBe([("Tea", 1L), ("Coffee", 0L), ("Water", 1L)]);
        (await PollHttp.ScalarAsync(fixture.Postgres.ConnectionString, "SELECT count(*) FROM poll_votes WHERE widget_id = $1", poll)).ShouldBe(2);
    }

    [Fact]
    public async Task Vote_RetryWithTheFormsTokenAndNoCookie_CountsOnce()
    {
        var poll = await CreatePollAsync();
        var token = PollHttp.NewVisitor();

        using var first = await _visitor.VoteAsync(poll, "1", visitorField: token);
        using var retry = await _visitor.VoteAsync(poll, "1", visitorField: token);

        first.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        retry.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        first.VisitorCookie().ShouldBe(token, "the form's token becomes the cookie where the browser keeps one");
        (await PollHttp.ScalarAsync(fixture.Postgres.ConnectionString, "SELECT votes FROM poll_option_votes WHERE widget_id = $1 AND option = 1", poll))
            .ShouldBe(1);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("-1")]
    [InlineData("one")]
    [InlineData("")]
    public async Task Vote_NotAnOptionOfThePoll_Returns422NamingOption(string option)
    {
        var poll = await CreatePollAsync();

        using var response = await _visitor.VoteAsync(poll, option, cookie: PollHttp.NewVisitor());

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "option");
    }

    [Fact]
    public async Task Vote_ClosedPoll_Returns409_AndItsEmbedShowsResultsWithoutAForm()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Closed", "poll", new { question = "Q?", options = Options, closesAt = "2001-01-01T00:00:00Z" })).Id;

        using var response = await _visitor.VoteAsync(poll, "0", cookie: PollHttp.NewVisitor());
        using var embed = await _visitor.GetEmbedAsync(poll);
        using var json = await _visitor.GetEmbedAsync(poll, json: true);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("detail").GetString()!.ShouldContain("closed");
        var html = await embed.Content.ReadAsStringAsync();
        html.ShouldContain("This poll is closed.");
        html.ShouldContain("0 votes (0%)");
        html.ShouldNotContain("<form");
        var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement;
        document.GetProperty("closed").GetBoolean().ShouldBeTrue();
        document.GetProperty("totalVotes").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task Vote_NotAPollOrUnknown_Returns404()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var counter = await tenant.Http.CreateWidgetAsync("Visitors", "counter", new { label = "visitors" });

        using var notAPoll = await _visitor.VoteAsync(counter.Id, "0", cookie: PollHttp.NewVisitor());
        using var unknown = await _visitor.VoteAsync(Guid.NewGuid(), "0", cookie: PollHttp.NewVisitor());

        await notAPoll.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(false, 200 * 1024)]
    [InlineData(true, 200 * 1024)]
    [InlineData(false, 6000)]
    [InlineData(true, 6000)] // between the limit (4 KB) and the server's backstop (8 KB): only BodyLimits.ReadAsync's count refuses it
    public async Task Vote_FormOverTheLimit_Returns413SayingTheLimit(bool chunked, int padding)
    {
        var poll = await CreatePollAsync();
        var form = System.Text.Encoding.ASCII.GetBytes("option=0&padding=" + new string('a', padding));
        using HttpContent content = chunked
            ? new UnknownLengthContent(form, "application/x-www-form-urlencoded")
            : new ByteArrayContent(form) { Headers = { ContentType = new("application/x-www-form-urlencoded") } };

        using var response = await _visitor.PostAsync($"/w/{poll}/vote", content);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body");
        problem.GetProperty("detail").GetString()!.ShouldContain("4096 bytes");
    }

    [Fact]
    public async Task Vote_GzipBody_Returns415WithAcceptEncodingIdentity()
    {
        var poll = await CreatePollAsync();
        using var content = new FormUrlEncodedContent([new("option", "0")]);
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await _visitor.PostAsync($"/w/{poll}/vote", content);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
        problem.GetProperty("detail").GetString().ShouldBe(
            "The body is sent with 'Content-Encoding: gzip', which this endpoint does not decode: send the vote as a form with the field 'option', uncompressed and without a Content-Encoding header.");
        response.Headers.GetValues("Accept-Encoding").ShouldBe(["identity"]);
    }

    [Fact]
    public async Task Vote_JsonBody_Returns415SayingToSendAForm()
    {
        var poll = await CreatePollAsync();

        using var response = await _visitor.PostAsync($"/w/{poll}/vote", WidgetHttp.Json(new { option = 0 }));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "option");
        problem.GetProperty("detail").GetString()!.ShouldContain("x-www-form-urlencoded");
    }

    [Theory]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Origin", "https://ballot-stuffer.example")]
    public async Task Vote_PostedFromAnotherSitesPage_Returns403AndCountsNothing(string header, string value)
    {
        var poll = await CreatePollAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/w/{poll}/vote") { Content = new FormUrlEncodedContent([new("option", "0")]) };
        request.Headers.Add(header, value);
        request.Headers.Add("Accept", "application/json");

        using var response = await _visitor.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "own embed");
        using var embed = await _visitor.GetEmbedAsync(poll, PollHttp.NewVisitor(), json: true);
        JsonDocument.Parse(await embed.Content.ReadAsStringAsync()).RootElement.GetProperty("totalVotes").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task Vote_FromTheEmbedsOwnOrigin_IsCounted()
    {
        var poll = await CreatePollAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/w/{poll}/vote") { Content = new FormUrlEncodedContent([new("option", "0")]) };
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        request.Headers.Add("Origin", _visitor.BaseAddress!.GetLeftPart(UriPartial.Authority));

        using var response = await _visitor.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Vote_HostHeaderOfInvalidPunycodeWithAnOrigin_IsJudgedNotA500()
    {
        // ASP.NET Core's request.Host throws on xn--zz (it decodes punycode); the origin check reads the header as sent
        var poll = await CreatePollAsync();
        var address = fixture.Server.BaseAddress;
        const string body = "option=0";

        var answer = await RawHttp.ExchangeAsync(address.Host, address.Port,
            $"POST /w/{poll}/vote HTTP/1.1\r\nHost: xn--zz\r\nOrigin: http://xn--zz\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
            $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}",
            TimeSpan.FromSeconds(30));

        answer.ShouldStartWith("HTTP/1.1 303", Case.Sensitive, answer); // the page's own origin: counted
    }

    [Fact]
    public async Task Vote_TruncatedMultipartBody_Returns400NotA500()
    {
        var poll = await CreatePollAsync();
        using var content = new ByteArrayContent("--x\r\nContent-Disposition: form-data; name=\"option\"\r\n\r\n1"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=x");

        using var response = await _visitor.PostAsync($"/w/{poll}/vote", content);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "form");
    }

    [Fact]
    public async Task Embed_HiddenResults_ShowNoCountsUntilClosed()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Secret", "poll", new { question = "Q?", options = Options, hideResultsUntilClosed = true })).Id;
        var visitor = PollHttp.NewVisitor();

        var vote = await _visitor.VoteJsonAsync(poll, 1, visitor);
        using var embed = await _visitor.GetEmbedAsync(poll, visitor);
        using var embedJson = await _visitor.GetEmbedAsync(poll, visitor, json: true);

        vote.GetProperty("counted").GetBoolean().ShouldBeTrue();
        vote.GetProperty("results").GetArrayLength().ShouldBe(0);
        vote.TryGetProperty("totalVotes", out _).ShouldBeFalse();
        var json = JsonDocument.Parse(await embedJson.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("results").GetArrayLength().ShouldBe(0);
        json.TryGetProperty("totalVotes", out _).ShouldBeFalse("docs/polls.md: absent while the results are hidden");
        json.GetProperty("yourVote").GetInt32().ShouldBe(1);
        var html = await embed.Content.ReadAsStringAsync();
        html.ShouldContain("Results are shown when the poll closes.");
        html.ShouldNotContain("1 vote");
    }

    [Fact]
    public async Task Embed_PollJson_HasResultsTotalAndClosed()
    {
        var poll = await CreatePollAsync();
        await _visitor.VoteJsonAsync(poll, 2, PollHttp.NewVisitor());

        using var response = await _visitor.GetEmbedAsync(poll, json: true);

        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        PollHttp.VotesOf(document).ShouldBe([("Tea", 0L), ("Coffee", 0L), ("Water", 1L)]);
        document.GetProperty("totalVotes").GetInt64().ShouldBe(1);
        document.GetProperty("closed").GetBoolean().ShouldBeFalse();
        document.GetProperty("kind").GetString().ShouldBe("poll");
    }

    [Fact]
    public async Task Vote_DeletedPoll_TakesItsVotesWithIt()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Gone", "poll", new { question = "Q?", options = Options })).Id;
        await _visitor.VoteJsonAsync(poll, 0, PollHttp.NewVisitor());

        using var deleted = await tenant.Http.DeleteWidgetAsync(poll);

        deleted.IsSuccessStatusCode.ShouldBeTrue();
        (await PollHttp.ScalarAsync(fixture.Postgres.ConnectionString,
            "SELECT (SELECT count(*) FROM poll_votes WHERE widget_id = $1) + (SELECT count(*) FROM poll_option_votes WHERE widget_id = $1)", poll)).ShouldBe(0);
    }

    private async Task<Guid> CreatePollAsync()
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        return (await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = Options })).Id;
    }
}
