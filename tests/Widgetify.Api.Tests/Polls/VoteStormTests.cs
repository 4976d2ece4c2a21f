using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Polls;
using Widgetify.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Widgetify.Api.Tests.Polls;

/// <summary>A viral poll: a thousand visitors vote at once from one address (the loopback), on a server of its own whose
/// per-IP ceiling is exactly that thousand.</summary>
public sealed class VoteStormTests(ITestOutputHelper output)
{
    private const int Voters = 1000;

    [Fact]
    public async Task Vote_1000ConcurrentVisitors_EachCountedOnce_TotalsAndHourlyRollupMatch_ThenTheCeilingRefuses()
    {
        var settings = new Dictionary<string, string?>(ApiFixture.NeverShed)
        {
            ["Widgetify:Polls:VotesPerMinutePerIp"] = Voters.ToString(CultureInfo.InvariantCulture),
        };
        await using var dedicated = await DedicatedServer.StartAsync(settings: settings);
        var server = dedicated.Server;
        using var tenant = await server.CreateTenantAsync();
        var poll = (await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = (string[])["Tea", "Coffee", "Water"] })).Id;
        var other = (await tenant.Http.CreateWidgetAsync("Food", "poll", new { question = "And to eat?", options = (string[])["Bread", "Rice"] })).Id;
        using var visitors = PollHttp.CreateVisitorClient(server.BaseAddress);
        var writer = server.Services.GetRequiredService<VoteWriter>();
        var before = writer.GetStatistics();
        var clock = Stopwatch.StartNew();

        var answers = await Task.WhenAll(Enumerable.Range(0, Voters).Select(async i =>
        {
            using var response = await visitors.VoteAsync(poll, (i % 3).ToString(CultureInfo.InvariantCulture), cookie: PollHttp.NewVisitor());
            return response.StatusCode;
        }));

        clock.Stop();
        var after = writer.GetStatistics();
        answers.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count()).ShouldBe(new Dictionary<HttpStatusCode, int> { [HttpStatusCode.SeeOther] = Voters });
        using var json = await visitors.GetEmbedAsync(poll, json: true);
        var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement;
        document.GetProperty("totalVotes").GetInt64().ShouldBe(Voters);
        document.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("votes").GetInt64()).ShouldBe([334L, 333L, 333L]);
        var connection = dedicated.Postgres.ConnectionString;
        (await PollHttp.ScalarAsync(connection, "SELECT count(*) FROM poll_votes WHERE widget_id = $1", poll)).ShouldBe(Voters);
        (await PollHttp.ScalarAsync(connection, "SELECT sum(votes) FROM poll_option_votes WHERE widget_id = $1", poll)).ShouldBe(Voters);
        (await PollHttp.ScalarAsync(connection, "SELECT sum(votes) FROM widget_activity_hourly WHERE widget_id = $1", poll)).ShouldBe(Voters);
        var batches = after.Batches - before.Batches;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Voters} concurrent votes in {clock.Elapsed.TotalMilliseconds:F0} ms ({Voters / clock.Elapsed.TotalSeconds:F0} votes/s), " +
            $"{batches} batches, {(double)(after.Votes - before.Votes) / Math.Max(1, batches):F1} votes per batch, largest {after.LargestBatch}"));

        // The same address's next vote on this poll is over the ceiling; on another poll it is not.
        using var over = await visitors.VoteAsync(poll, "0", cookie: PollHttp.NewVisitor());
        using var elsewhere = await visitors.VoteAsync(other, "0", cookie: PollHttp.NewVisitor());

        await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        over.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().TotalSeconds.ShouldBeInRange(1, 60);
        elsewhere.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
    }
}
