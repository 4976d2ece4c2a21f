using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Notifications;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Api.Tests.Polls;

namespace Widgetify.Api.Tests.Embed.Caching;

/// <summary>Two instances on one real PostgreSQL, as a fleet runs: a change made through one (or by SQL) reaches the
/// other's cached embed at once. Both keep entries for 10 minutes (ViewCountRefresh and MaxStaleness), so only the
/// LISTEN/NOTIFY path can explain the other instance's new answer within the tests' 10 s bound; nothing advances a clock.</summary>
public sealed class EmbedCacheFleetTests : IAsyncLifetime
{
    private ListeningFleet? _fleet;

    private WidgetifyServer First => _fleet!.First;

    private WidgetifyServer Second => _fleet!.Second;

    public async Task InitializeAsync() => _fleet = await ListeningFleet.StartAsync(new Dictionary<string, string?>(ApiFixture.NeverShed)
    {
        ["Widgetify:Embed:Cache:ViewCountRefresh"] = "00:10:00",
        ["Widgetify:Embed:Cache:MaxStaleness"] = "00:10:00",
    });

    public async Task DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }
    }

    [Fact]
    public async Task Edit_ThroughOneInstance_OtherInstancesCachedEmbedShowsItAtOnce()
    {
        // Arrange: both instances have the widget cached; the first hears no notifications (its listener stopped), so
        // only its own invalidation can explain its next answer.
        using var tenant = await First.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Before", "counter", new { label = "seen" });
        await StopListeningAsync(First);
        (await EmbedNameAsync(tenant.Http, widget.Id)).ShouldBe("Before");
        Cache(First).TryGetTenant(widget.Id, out _).ShouldBeTrue("the writing instance holds the widget");
        using var visitor = Second.CreateClient();
        (await EmbedNameAsync(visitor, widget.Id)).ShouldBe("Before");
        (await EmbedNameAsync(visitor, widget.Id)).ShouldBe("Before");
        Cache(Second).Count.ShouldBe(1);

        // Act
        using (var put = await tenant.Http.PutWidgetAsync(widget.Id, new { name = "After", kind = "counter", config = new { label = "seen" } }, "\"1\""))
        {
            await put.ShouldBeWidgetAsync();
        }

        // Assert
        (await EmbedNameAsync(tenant.Http, widget.Id)).ShouldBe("After", "the writing instance drops its own entry before answering");
        await WaitUntilAsync(async () => await EmbedNameAsync(visitor, widget.Id) == "After", "the edit reaches the other instance's cache");
    }

    [Fact]
    public async Task EditBySql_NoInstanceWroteIt_EveryCachedEmbedShowsIt()
    {
        using var tenant = await First.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Before");
        using var visitor = Second.CreateClient();
        (await EmbedNameAsync(visitor, widget.Id)).ShouldBe("Before");

        await ExecuteAsync($"UPDATE widgets SET name = 'By SQL', version = version + 1 WHERE id = '{widget.Id}'");

        await WaitUntilAsync(async () => await EmbedNameAsync(visitor, widget.Id) == "By SQL", "the trigger's notification reaches the cache");
    }

    [Fact]
    public async Task Delete_ThroughOneInstance_OtherInstanceAnswers404()
    {
        // Arrange: both instances hold the widget; the first hears no notifications (its listener stopped).
        using var tenant = await First.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        await StopListeningAsync(First);
        (await EmbedNameAsync(tenant.Http, widget.Id)).ShouldNotBeNull();
        Cache(First).TryGetTenant(widget.Id, out _).ShouldBeTrue("the deleting instance holds the widget");
        using var visitor = Second.CreateClient();
        (await visitor.GetAsync($"/w/{widget.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Act
        using (var delete = await tenant.Http.DeleteWidgetAsync(widget.Id))
        {
            delete.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        // Assert
        using (var asJson = new HttpRequestMessage(HttpMethod.Get, $"/w/{widget.Id}"))
        {
            // A client that asks for JSON gets the problem; a browser would get the "unavailable" page.
            asJson.Headers.Accept.ParseAdd("application/json");
            using var again = await tenant.Http.SendAsync(asJson);
            await again.ShouldBeProblemAsync(HttpStatusCode.NotFound, widget.Id.ToString()); // the deleting instance's own invalidation
        }

        await WaitUntilAsync(
            async () => (await visitor.GetAsync($"/w/{widget.Id}")).StatusCode == HttpStatusCode.NotFound, "the deletion reaches the other instance");
    }

    [Fact]
    public async Task VoteBatch_CommittedThroughOneInstance_OtherInstanceShowsFirstTimeVisitorsTheNewTotals()
    {
        // Arrange: a first-time visitor's JSON on the second instance comes from its cache (no cookie: no vote to read).
        using var tenant = await First.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Poll", "poll", new { question = "Tea?", options = (string[])["yes", "no"] });
        using var onSecond = PollHttp.CreateVisitorClient(Second.BaseAddress);
        (await TotalVotesAsync(onSecond, poll.Id)).ShouldBe(0);
        var loads = Cache(Second).Loads;
        (await TotalVotesAsync(onSecond, poll.Id)).ShouldBe(0);
        Cache(Second).Loads.ShouldBe(loads, "a first-time visitor's poll embed is answered without a database read");

        // Act
        using var onFirst = PollHttp.CreateVisitorClient(First.BaseAddress);
        await onFirst.VoteJsonAsync(poll.Id, 0, PollHttp.NewVisitor());

        // Assert
        await WaitUntilAsync(async () => await TotalVotesAsync(onSecond, poll.Id) == 1, "the batch's notification reaches the other instance");
    }

    [Fact]
    public async Task ListenerConnectionKilled_Reconnects_EmptiesTheCacheThenStillHearsEdits()
    {
        using var tenant = await First.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Before");
        using var visitor = Second.CreateClient();
        (await EmbedNameAsync(visitor, widget.Id)).ShouldBe("Before");
        var listener = Second.Services.GetRequiredService<NotificationListener>();
        var connects = listener.Connects;

        await ExecuteAsync(
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'widgetify{NotificationListener.ApplicationNameSuffix}'");
        await BoundedWait.UntilAsync(
            () => listener.IsListening && listener.Connects > connects, () => $"connects {listener.Connects}", "the listener reconnected (1 s backoff)");

        Cache(Second).Count.ShouldBe(0, "notifications may have been missed while disconnected: nothing cached is trusted");
        (await EmbedNameAsync(visitor, widget.Id)).ShouldBe("Before");
        using (var put = await tenant.Http.PutWidgetAsync(widget.Id, new { name = "After", kind = "counter", config = new { } }, "\"1\""))
        {
            await put.ShouldBeWidgetAsync();
        }

        await WaitUntilAsync(async () => await EmbedNameAsync(visitor, widget.Id) == "After", "edits are heard again after the reconnect");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await UnpooledConnection.OpenAsync(_fleet!.ConnectionString, "widgetify-test");
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static EmbedCache Cache(WidgetifyServer server) => server.Services.GetRequiredService<EmbedCache>();

    private static async Task<string?> EmbedNameAsync(HttpClient client, Guid id)
    {
        using var response = await client.GetWithAcceptAsync($"/w/{id}", "application/json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("name").GetString();
    }

    private static async Task<long> TotalVotesAsync(HttpClient client, Guid pollId)
    {
        using var response = await client.GetEmbedAsync(pollId, json: true);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("totalVotes").GetInt64();
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string because) =>
        BoundedWait.UntilAsync(condition, () => "not yet", because, TimeSpan.FromSeconds(10));

    /// <summary>Stops <paramref name="server"/>'s listener: from then on it hears no change, so only what it does itself
    /// can explain a new answer.</summary>
    private static async Task StopListeningAsync(WidgetifyServer server)
    {
        var listener = server.Services.GetRequiredService<NotificationListener>();
        await listener.StopAsync(CancellationToken.None);
        listener.IsListening.ShouldBeFalse();
    }
}
