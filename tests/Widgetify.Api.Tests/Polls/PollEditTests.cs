using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Widgetify.Api.Polls;
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

    [Fact]
    public async Task Update_RemovesAnOptionWhileABatchOfVotesForItIsInFlight_WaitsForTheBatchAndReturns409()
    {
        // Arrange: no committed vote yet; a vote batch for Water (index 2) holds its poll's lock, written but not committed,
        // as VoteWriter's batch is for the moment of its round trip
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = Options });
        await using var batch = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await batch.OpenAsync();
        await using var transaction = await batch.BeginTransactionAsync();
        foreach (var sql in (string[])[
            "SELECT pg_advisory_xact_lock_shared(2004250484, hashtext($1::text))",
            "INSERT INTO poll_votes (widget_id, visitor, option, voted_at) VALUES ($1, 'in-flight-visitor-0001', 2, now())",
            "INSERT INTO poll_option_votes (widget_id, option, votes) VALUES ($1, 2, 1)"])
        {
            await using var write = new NpgsqlCommand(sql, batch, transaction) { Parameters = { new() { Value = poll.Id } } };
            await write.ExecuteNonQueryAsync();
        }

        // Act: the owner drops Water while the batch is in flight (before 0009 the edit counted 0 committed votes and passed,
        // and the batch's vote then counted for an option the poll no longer had)
        var edit = tenant.Http.PutWidgetAsync(poll.Id,
            new { name = "Drinks", kind = "poll", config = new { question = "What do you drink?", options = (string[])["Tea", "Coffee"] } }, "\"1\"");
        await using var watch = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await watch.OpenAsync();
        await using var waiting = new NpgsqlCommand(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 2004250484 AND objid = hashtext($1::text)::oid", watch)
        {
            Parameters = { new() { Value = poll.Id } },
        };
        await BoundedWait.UntilAsync(
            async () => edit.IsCompleted || (long)(await waiting.ExecuteScalarAsync())! > 0,
            () => "neither did the edit end nor wait for the batch's lock", "the edit met the batch", TimeSpan.FromSeconds(30));
        await transaction.CommitAsync();

        // Assert: it waited, counted the batch's vote once committed, and refused
        using var response = await edit;
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("detail").GetString()!.ShouldContain("1 acknowledged vote(s)");
        PollHttp.VotesOf(await EmbedJsonAsync(poll.Id)).ShouldBe([("Tea", 0L), ("Coffee", 0L), ("Water", 1L)]);
    }

    [Fact]
    public async Task VoteBatch_ForAnOptionRemovedSinceTheVoteWasChecked_IsNotWrittenAndSaysSo()
    {
        // Arrange: Water (index 2) removed by an edit that committed after the vote was checked against the old options
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = Options });
        using var edit = await tenant.Http.PutWidgetAsync(poll.Id,
            new { name = "Drinks", kind = "poll", config = new { question = "What do you drink?", options = (string[])["Tea", "Coffee"] } }, "\"1\"");
        (await edit.ShouldBeWidgetAsync()).Version.ShouldBe(2);
        var store = fixture.Server.Services.GetRequiredService<PollStore>();

        // Act
        var written = await store.WriteBatchAsync([new PendingVote(poll.Id, "late-visitor-00001", 2), new PendingVote(poll.Id, "on-time-visitor-001", 1)],
            DateTimeOffset.UtcNow, CancellationToken.None);

        // Assert: the vote for the index the poll no longer has is neither written nor taken for a repeat vote
        written.OptionGone.ShouldBe([(poll.Id, "late-visitor-00001")]);
        written.Counted.ShouldBe([(poll.Id, "on-time-visitor-001")]);
        PollHttp.VotesOf(await EmbedJsonAsync(poll.Id)).ShouldBe([("Tea", 0L), ("Coffee", 1L)]);
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
