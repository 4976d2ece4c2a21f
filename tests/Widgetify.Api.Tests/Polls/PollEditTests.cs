using System.Net;
using System.Text.Json;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Polls;

/// <summary>An owner's edit of a poll that has votes (migration 0008): votes are stored as the index of the option chosen,
/// so an edit that changed the text at a voted index would count acknowledged votes for another answer. On the real
/// service and a real PostgreSQL. The poll: Tea 2 votes, Coffee none, Water 1.</summary>
[Collection(SharedApiServer.Name)]
public sealed class PollEditTests(ApiFixture fixture) : IDisposable
{
    private static readonly string[] Options = ["Tea", "Coffee", "Water"];

    private readonly HttpClient _visitor = PollHttp.CreateVisitorClient(fixture.Server.BaseAddress);

    public void Dispose() => _visitor.Dispose();

    /// <summary>Each edit, and the votes it would have moved or dropped.</summary>
    public static TheoryData<string, string, string[], int> EditsThatMoveVotes => new()
    {
        { "voted options swapped", "poll", ["Water", "Coffee", "Tea"], 3 },
        { "a voted option removed", "poll", ["Tea", "Coffee"], 1 },
        { "a voted option renamed", "poll", ["Chai", "Coffee", "Water"], 2 },
        { "an option inserted before voted ones", "poll", ["Juice", "Tea", "Coffee", "Water"], 3 },
        { "the poll made a counter", "counter", [], 3 },
    };

    [Theory]
    [MemberData(nameof(EditsThatMoveVotes))]
    public async Task Update_EditThatWouldMoveVotes_Returns409AndChangesNothing(string edit, string kind, string[] options, int moved)
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await CreateVotedPollAsync(tenant.Http);

        // Act
        using var response = await tenant.Http.PutWidgetAsync(poll.Id,
            new { name = "Drinks", kind, config = kind == "poll" ? (object)new { question = "What do you drink?", options } : new { } }, "\"1\"");

        // Assert
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("detail").GetString()!.ShouldContain($"{moved} acknowledged vote(s)", Case.Sensitive, edit);
        (await tenant.Http.GetWidgetAsync(poll.Id)).Version.ShouldBe(1, edit);
        PollHttp.VotesOf(await EmbedJsonAsync(poll.Id)).ShouldBe([("Tea", 2L), ("Coffee", 0L), ("Water", 1L)], edit);
    }

    [Fact]
    public async Task Update_QuestionUnvotedOptionsAndOptionsAtTheEnd_AreFree_AndVotesKeepTheirAnswer()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await CreateVotedPollAsync(tenant.Http);

        // Act: a new question, Coffee (no votes) renamed, an option added at the end
        using var response = await tenant.Http.PutWidgetAsync(poll.Id,
            new { name = "Drinks", kind = "poll", config = new { question = "And to drink?", options = (string[])["Tea", "Espresso", "Water", "Juice"] } }, "\"1\"");

        // Assert
        (await response.ShouldBeWidgetAsync()).Version.ShouldBe(2);
        PollHttp.VotesOf(await EmbedJsonAsync(poll.Id)).ShouldBe([("Tea", 2L), ("Espresso", 0L), ("Water", 1L), ("Juice", 0L)]);
    }

    [Fact]
    public async Task Update_PollWithoutVotes_MayChangeEverything()
    {
        // Arrange
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = Options });

        // Act
        using var response = await tenant.Http.PutWidgetAsync(poll.Id, new { name = "Visitors", kind = "counter", config = new { } }, "\"1\"");

        // Assert
        (await response.ShouldBeWidgetAsync()).Kind.ShouldBe("counter");
    }

    private async Task<WidgetDto> CreateVotedPollAsync(HttpClient owner)
    {
        var poll = await owner.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = Options });
        await _visitor.VoteJsonAsync(poll.Id, 0, PollHttp.NewVisitor());
        await _visitor.VoteJsonAsync(poll.Id, 0, PollHttp.NewVisitor());
        await _visitor.VoteJsonAsync(poll.Id, 2, PollHttp.NewVisitor());
        return poll;
    }

    private async Task<JsonElement> EmbedJsonAsync(Guid poll)
    {
        using var response = await _visitor.GetEmbedAsync(poll, json: true);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
