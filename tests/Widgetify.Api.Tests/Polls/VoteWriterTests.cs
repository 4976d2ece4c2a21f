using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Polls;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Polls;

/// <summary>The vote writer's stop: what is queued when the service stops is written before it ends, and nothing is
/// taken after.</summary>
public sealed class VoteWriterTests
{
    [Fact]
    public async Task StopAsync_VotesStillQueued_AreCommittedBeforeTheWriterEnds_AndLaterOnesRefused()
    {
        // A window far longer than the test: only the stop can make these votes' batch go out.
        var settings = new Dictionary<string, string?>(ApiFixture.NeverShed) { ["Widgetify:Polls:BatchWindow"] = "00:00:01" };
        await using var dedicated = await DedicatedServer.StartAsync(settings: settings);
        using var tenant = await dedicated.Server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "Q?", options = (string[])["Tea", "Coffee"] })).Id;
        var writer = dedicated.Server.Services.GetRequiredService<VoteWriter>();
        var votes = Enumerable.Range(0, 50).Select(i => new PendingVote(poll, PollHttp.NewVisitor(), i % 2)).ToList();
        votes.ShouldAllBe(v => writer.TrySubmit(v));

        await dedicated.Server.StopAsync();

        votes.ShouldAllBe(v => v.Written.IsCompletedSuccessfully && v.Written.Result == VoteOutcome.Counted);
        (await PollHttp.ScalarAsync(dedicated.Postgres.ConnectionString, "SELECT count(*) FROM poll_votes WHERE widget_id = $1", poll)).ShouldBe(50);
        writer.TrySubmit(new PendingVote(poll, PollHttp.NewVisitor(), 0)).ShouldBeFalse("a stopped writer takes no votes");
    }

    [Fact]
    public async Task TrySubmit_QueueFull_RefusesAtOnce_AndTheVoteApiAnswers503WithRetryAfter()
    {
        var settings = new Dictionary<string, string?>(ApiFixture.NeverShed)
        {
            ["Widgetify:Polls:BatchWindow"] = "00:00:01",
            ["Widgetify:Polls:MaxQueuedVotes"] = "1",
            ["Widgetify:Polls:MaxBatchSize"] = "2",
        };
        await using var dedicated = await DedicatedServer.StartAsync(settings: settings);
        using var tenant = await dedicated.Server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "Q?", options = (string[])["Tea", "Coffee"] })).Id;
        var writer = dedicated.Server.Services.GetRequiredService<VoteWriter>();
        using var visitors = PollHttp.CreateVisitorClient(dedicated.Server.BaseAddress);
        // The loop waits out its batch window before it takes anything: one vote fills the queue, the next is refused.
        writer.TrySubmit(new PendingVote(poll, PollHttp.NewVisitor(), 0)).ShouldBeTrue();
        writer.TrySubmit(new PendingVote(poll, PollHttp.NewVisitor(), 0)).ShouldBeFalse("the queue holds one vote");
        HttpResponseMessage? refused = null;
        // Refilled before each try: on a machine slow enough that the window ran out, the queue has drained meanwhile.
        await BoundedWait.UntilAsync(
            async () =>
            {
                writer.TrySubmit(new PendingVote(poll, PollHttp.NewVisitor(), 0));
                refused?.Dispose();
                refused = await visitors.VoteAsync(poll, "1", cookie: PollHttp.NewVisitor());
                return refused.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable;
            },
            () => refused?.StatusCode.ToString() ?? "none",
            "a vote finds the queue full");

        using var answer = refused!;
        var problem = await answer.ShouldBeProblemAsync(System.Net.HttpStatusCode.ServiceUnavailable);
        answer.Headers.RetryAfter.ShouldNotBeNull();
        problem.GetProperty("detail").GetString()!.ShouldContain("again");
    }

    [Fact]
    public async Task Vote_BatchNotCommitted_Answers503WithRetryAfter_AndTheRetryCountsOnce()
    {
        await using var dedicated = await DedicatedServer.StartAsync(settings: ApiFixture.NeverShed);
        using var tenant = await dedicated.Server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "Q?", options = (string[])["Tea", "Coffee"] })).Id;
        using var visitors = PollHttp.CreateVisitorClient(dedicated.Server.BaseAddress);
        await using var owner = dedicated.Postgres.CreateOwnerDataSource();
        var visitor = PollHttp.NewVisitor();
        // The service's role (widgetify) may no longer insert votes: every batch fails at the database.
        await owner.CreateCommand("REVOKE INSERT ON poll_votes FROM widgetify").ExecuteNonQueryAsync();

        using var failed = await visitors.VoteAsync(poll, "1", cookie: visitor);
        await owner.CreateCommand("GRANT INSERT ON poll_votes TO widgetify").ExecuteNonQueryAsync();
        using var retried = await visitors.VoteAsync(poll, "1", cookie: visitor, json: true);
        using var again = await visitors.VoteAsync(poll, "1", cookie: visitor, json: true);

        var problem = await failed.ShouldBeProblemAsync(System.Net.HttpStatusCode.ServiceUnavailable);
        failed.Headers.RetryAfter.ShouldNotBeNull();
        problem.ShouldNotRevealInternals();
        retried.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await retried.Content.ReadAsStringAsync()).ShouldContain("\"counted\":true");
        (await again.Content.ReadAsStringAsync()).ShouldContain("\"counted\":false");
        (await PollHttp.ScalarAsync(dedicated.Postgres.ConnectionString, "SELECT count(*) FROM poll_votes WHERE widget_id = $1", poll)).ShouldBe(1);
    }
}
