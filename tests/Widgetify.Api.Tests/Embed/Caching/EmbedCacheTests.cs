using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NpgsqlTypes;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Tests.Embed.Caching;

/// <summary>The cache's rules on a real PostgreSQL, with its own clock (FakeTimeProvider): nothing here is subscribed to
/// notifications, so an edit made by SQL is seen only when an aging rule says so.</summary>
[Collection(SharedApiServer.Name)]
public sealed class EmbedCacheTests(ApiFixture fixture) : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private EmbedCache? _cache;

    public void Dispose() => _cache?.Dispose();

    private EmbedCache NewCache(TimeSpan? refresh = null, TimeSpan? maxStaleness = null, bool enabled = true, int refreshes = 4)
    {
        var options = new WidgetifyOptions { Database = { ConnectionString = fixture.Postgres.ConnectionString } };
        options.Embed.Cache.Enabled = enabled;
        options.Embed.Cache.ViewCountRefresh = refresh ?? TimeSpan.FromSeconds(2);
        options.Embed.Cache.MaxStaleness = maxStaleness ?? TimeSpan.FromSeconds(30);
        options.Embed.Cache.MaxConcurrentRefreshes = refreshes;
        var services = fixture.Server.Services;
        return _cache = new EmbedCache(
            services.GetRequiredService<WidgetSnapshotReader>(), services.GetRequiredService<EmbedCacheMetrics>(), _time, Options.Create(options));
    }

    [Fact]
    public async Task GetAsync_SecondLookup_IsAnsweredFromMemory()
    {
        var cache = NewCache();
        var widget = await CreateWidgetAsync();

        var first = await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        var second = await cache.GetAsync(widget.Id, null, null, CancellationToken.None);

        cache.Loads.ShouldBe(1);
        second.ShouldBeSameAs(first);
        first!.Html.ShouldNotBeNull("a counter's HTML is rendered once, at the read");
        first.Json.ShouldNotBeNull();
        first.ETag.ShouldBe("W/\"1-0\"");
    }

    [Fact]
    public async Task GetAsync_Disabled_ReadsEveryTime()
    {
        var cache = NewCache(enabled: false);
        var widget = await CreateWidgetAsync();

        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);

        cache.Loads.ShouldBe(2);
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public async Task GetAsync_EditNeverHeard_ShownUntilMaxStalenessThenReadAgain()
    {
        // Arrange: both bounds 30 s, so nothing refreshes the entry in the background before it is too old to serve.
        var cache = NewCache(refresh: TimeSpan.FromSeconds(30), maxStaleness: TimeSpan.FromSeconds(30));
        var widget = await CreateWidgetAsync("Before");
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        await ExecuteAsync($"UPDATE widgets SET name = 'After', version = version + 1 WHERE id = '{widget.Id}'");

        // Act + Assert: the notification was "missed" (this cache hears none): the old snapshot is served until the bound.
        _time.Advance(TimeSpan.FromSeconds(29.9));
        (await cache.GetAsync(widget.Id, null, null, CancellationToken.None))!.Widget.Name.ShouldBe("Before");
        _time.Advance(TimeSpan.FromSeconds(0.1));
        var reread = await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        reread!.Widget.Name.ShouldBe("After", "an entry MaxStaleness old is never served");
        reread.Widget.Version.ShouldBe(2);
        cache.Loads.ShouldBe(2);
    }

    [Fact]
    public async Task GetAsync_OlderThanViewCountRefresh_ServedWhileOneBackgroundReadRefreshesIt()
    {
        var cache = NewCache(refresh: TimeSpan.FromSeconds(2), maxStaleness: TimeSpan.FromSeconds(30));
        var widget = await CreateWidgetAsync();
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        await ExecuteAsync($"UPDATE widgets SET view_count = 42 WHERE id = '{widget.Id}'"); // what the view flusher does

        _time.Advance(TimeSpan.FromSeconds(2));
        var served = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => cache.GetAsync(widget.Id, null, null, CancellationToken.None).AsTask()));

        // The first request that saw the entry aged is answered with it at once; the background read may finish while the
        // other nineteen are asked (a preempted test thread on a loaded machine), so they see either.
        served[0]!.Widget.ViewCount.ShouldBe(0, "the aged entry is served at once, not waited for");
        served.ShouldAllBe(e => e!.Widget.ViewCount == 0 || e.Widget.ViewCount == 42);
        await BoundedWait.UntilAsync(
            async () => (await cache.GetAsync(widget.Id, null, null, CancellationToken.None))!.Widget.ViewCount == 42,
            () => $"loads {cache.Loads}", "the background read replaced the entry");
        cache.Loads.ShouldBe(2, "twenty requests that saw the entry aged started one read between them");
        (await cache.GetAsync(widget.Id, null, null, CancellationToken.None))!.ETag.ShouldBe("W/\"1-42\"");
    }

    [Fact]
    public async Task GetAsync_VersionHeardAboveWhatTheRoutedReadReturned_ReadsThePrimaryToo()
    {
        // Arrange: a change to version 2 was heard, but the read (as a lagging standby would) returns version 1. Past the
        // primary-only window (MaxStaleness, 30 s), so the read is routed first and judged by the floor.
        var cache = NewCache();
        var widget = await CreateWidgetAsync();
        cache.Invalidate(widget.Id, 2, "change");
        _time.Advance(TimeSpan.FromSeconds(30));

        // Act
        var entry = await cache.GetAsync(widget.Id, null, null, CancellationToken.None);

        // Assert: the routed read's snapshot was refused and the primary asked (here it has version 1 too: it is the truth).
        cache.Loads.ShouldBe(2);
        entry!.Widget.Version.ShouldBe(1);
    }

    [Fact]
    public async Task GetAsync_AfterVotesHeard_ReadsThePrimaryOnlyUntilTheWindowEnds()
    {
        // Arrange: a vote batch brings no new version, so a standby's pre-vote snapshot would pass the version floor.
        var cache = NewCache(refresh: TimeSpan.FromSeconds(2), maxStaleness: TimeSpan.FromSeconds(30));
        var widget = await CreateWidgetAsync();
        cache.Invalidate(widget.Id, null, "votes");

        // Act
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);

        // Assert: straight to the primary, one read.
        (cache.Loads, cache.PrimaryLoads).ShouldBe((1, 1));

        // And a refresh after the window (MaxStaleness) is routed again.
        _time.Advance(TimeSpan.FromSeconds(30));
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None); // older than MaxStaleness: waits for a read
        (cache.Loads, cache.PrimaryLoads).ShouldBe((2, 1));
    }

    [Fact]
    public async Task Invalidate_ReadInFlight_LaterRequestsStartTheirOwnRead()
    {
        // Arrange: a read that began before the votes were heard, held in flight by a lock.
        var cache = NewCache();
        var widget = await CreateWidgetAsync();
        Task<CachedWidget?> before;
        Task<CachedWidget?> after;
        await using (var hold = await TableLock.TakeAsync(fixture.Postgres.ConnectionString))
        {
            before = cache.GetAsync(widget.Id, null, null, CancellationToken.None).AsTask();
            await BoundedWait.UntilAsync(() => cache.Loads == 1, () => $"loads {cache.Loads}", "the first read started");

            // Act
            cache.Invalidate(widget.Id, null, "votes");
            after = cache.GetAsync(widget.Id, null, null, CancellationToken.None).AsTask();

            // Assert: the later request did not join the pre-change read.
            await BoundedWait.UntilAsync(() => cache.Loads == 2, () => $"loads {cache.Loads}", "the request after the change read on its own");
            cache.PrimaryLoads.ShouldBe(1, "from the primary: a standby may not have the votes yet");
        }

        (await before).ShouldNotBeNull();
        (await after).ShouldNotBeNull();
    }

    [Fact]
    public async Task GetAsync_SharedReadTimesOut_WaitersGetTimeoutException()
    {
        // Arrange: the shared read is held by a lock; its own bound (connect + command timeouts) runs on the fake clock.
        var cache = NewCache();
        var widget = await CreateWidgetAsync();
        await using var hold = await TableLock.TakeAsync(fixture.Postgres.ConnectionString);
        var waiting = cache.GetAsync(widget.Id, null, null, CancellationToken.None).AsTask();
        await BoundedWait.UntilAsync(() => cache.Loads == 1, () => $"loads {cache.Loads}", "the shared read started");

        // Act
        _time.Advance(TimeSpan.FromMinutes(10));

        // Assert: a TimeoutException (503 like a request's own database timeout), not a bare cancellation (500).
        var thrown = await Should.ThrowAsync<TimeoutException>(waiting);
        thrown.Message.ShouldContain("Database:CommandTimeoutSeconds");
    }

    [Fact]
    public async Task GetAsync_RefreshFindsTheWidgetDeleted_DropsTheEntry()
    {
        // Arrange: a deletion whose notification this cache never hears.
        var cache = NewCache(refresh: TimeSpan.FromSeconds(2), maxStaleness: TimeSpan.FromSeconds(30));
        var widget = await CreateWidgetAsync();
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        await ExecuteAsync($"DELETE FROM widgets WHERE id = '{widget.Id}'");

        // Act: the aged entry is served once more while the background read finds the widget gone.
        _time.Advance(TimeSpan.FromSeconds(2));
        (await cache.GetAsync(widget.Id, null, null, CancellationToken.None)).ShouldNotBeNull();

        // Assert
        await BoundedWait.UntilAsync(() => cache.Count == 0, () => $"loads {cache.Loads}", "the refresh that found no widget dropped the entry");
        (await cache.GetAsync(widget.Id, null, null, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task GetAsync_EveryRefreshSlotBusy_ServesTheAgedEntryWithoutARead()
    {
        // Arrange: one refresh slot, and two aged entries.
        var cache = NewCache(refresh: TimeSpan.FromSeconds(2), maxStaleness: TimeSpan.FromSeconds(30), refreshes: 1);
        var first = await CreateWidgetAsync();
        var second = await CreateWidgetAsync();
        await cache.GetAsync(first.Id, null, null, CancellationToken.None);
        await cache.GetAsync(second.Id, null, null, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(2));

        await using (var hold = await TableLock.TakeAsync(fixture.Postgres.ConnectionString))
        {
            // Act: the first aged entry takes the slot (its refresh held by the lock); the second finds none free.
            (await cache.GetAsync(first.Id, null, null, CancellationToken.None)).ShouldNotBeNull();
            await BoundedWait.UntilAsync(() => cache.Loads == 3, () => $"loads {cache.Loads}", "the first refresh started");
            (await cache.GetAsync(second.Id, null, null, CancellationToken.None)).ShouldNotBeNull("served aged, not waited for");

            // Assert
            cache.RefreshesSkipped.ShouldBe(1);
            cache.Loads.ShouldBe(3, "no second refresh while the slot is held");
        }

        // Once the slot is free, the next request that finds the entry aged refreshes it.
        await BoundedWait.UntilAsync(
            async () =>
            {
                await cache.GetAsync(second.Id, null, null, CancellationToken.None);
                return cache.Loads == 4;
            },
            () => $"loads {cache.Loads}, skipped {cache.RefreshesSkipped}", "the freed slot refreshed the second entry");
    }

    [Fact]
    public async Task GetAsync_AfterDeletionHeard_IsNullAndNothingIsKept()
    {
        var cache = NewCache();
        var widget = await CreateWidgetAsync();
        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);
        await ExecuteAsync($"DELETE FROM widgets WHERE id = '{widget.Id}'");

        cache.Invalidate(widget.Id, VersionFloors.Deleted, "change");

        (await cache.GetAsync(widget.Id, null, null, CancellationToken.None)).ShouldBeNull();
        cache.TryGetTenant(widget.Id, out _).ShouldBeFalse();
    }

    [Fact]
    public async Task GetAsync_ConsistencyTokenNewerThanTheEntry_ReadsPastTheCache()
    {
        var cache = NewCache();
        var widget = await CreateWidgetAsync();
        var entry = (await cache.GetAsync(widget.Id, null, null, CancellationToken.None))!;

        var covered = await cache.GetAsync(widget.Id, new ConsistencyToken(entry.Position), null, CancellationToken.None);
        cache.Loads.ShouldBe(1, "a token at the entry's position is covered by it");
        covered.ShouldBeSameAs(entry);

        var newer = new ConsistencyToken(new NpgsqlLogSequenceNumber((ulong)entry.Position + 1));
        await ExecuteAsync($"UPDATE widgets SET view_count = 7 WHERE id = '{widget.Id}'"); // a write after the entry's read
        var bypassed = await cache.GetAsync(widget.Id, newer, null, CancellationToken.None);

        cache.Loads.ShouldBe(2, "an entry older than the token is not an answer");
        bypassed!.Widget.ViewCount.ShouldBe(7, "the read past the cache sees the later write");
        cache.TryGetTenant(widget.Id, out _).ShouldBeTrue("the fresher snapshot is kept");
    }

    [Fact]
    public async Task TryGetTenant_HeldWidget_AnswersWithoutARead()
    {
        var cache = NewCache();
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync();
        cache.TryGetTenant(widget.Id, out _).ShouldBeFalse();

        await cache.GetAsync(widget.Id, null, null, CancellationToken.None);

        cache.TryGetTenant(widget.Id, out var tenantId).ShouldBeTrue();
        tenantId.ShouldBe(tenant.TenantId);
    }

    [Fact]
    public async Task GetAsync_Poll_HoldsItsTotalsNotBytes()
    {
        var cache = NewCache();
        using var tenant = await fixture.Server.CreateTenantAsync();
        var poll = await tenant.Http.CreateWidgetAsync("Poll", "poll", new { question = "Tea?", options = (string[])["yes", "no"] });

        var entry = await cache.GetAsync(poll.Id, null, null, CancellationToken.None);

        entry!.Tally.ShouldNotBeNull();
        entry.Tally.VisitorChoice.ShouldBeNull();
        entry.Html.ShouldBeNull("each visitor's page carries their token");
    }

    private async Task<WidgetDto> CreateWidgetAsync(string name = "Cached")
    {
        using var tenant = await fixture.Server.CreateTenantAsync();
        return await tenant.Http.CreateWidgetAsync(name);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await UnpooledConnection.OpenAsync(fixture.Postgres.ConnectionString, "widgetify-test");
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
