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

    private EmbedCache NewCache(TimeSpan? refresh = null, TimeSpan? maxStaleness = null, bool enabled = true)
    {
        var options = new WidgetifyOptions { Database = { ConnectionString = fixture.Postgres.ConnectionString } };
        options.Embed.Cache.Enabled = enabled;
        options.Embed.Cache.ViewCountRefresh = refresh ?? TimeSpan.FromSeconds(2);
        options.Embed.Cache.MaxStaleness = maxStaleness ?? TimeSpan.FromSeconds(30);
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

        served.ShouldAllBe(e => e!.Widget.ViewCount == 0, "the aged entry is served at once, not waited for");
        await BoundedWait.UntilAsync(
            async () => (await cache.GetAsync(widget.Id, null, null, CancellationToken.None))!.Widget.ViewCount == 42,
            () => $"loads {cache.Loads}", "the background read replaced the entry");
        cache.Loads.ShouldBe(2, "twenty requests that saw the entry aged started one read between them");
        (await cache.GetAsync(widget.Id, null, null, CancellationToken.None))!.ETag.ShouldBe("W/\"1-42\"");
    }

    [Fact]
    public async Task GetAsync_VersionHeardAboveWhatTheRoutedReadReturned_ReadsThePrimaryToo()
    {
        // Arrange: a change to version 2 was heard, but the read (as a lagging standby would) returns version 1.
        var cache = NewCache();
        var widget = await CreateWidgetAsync();
        cache.Invalidate(widget.Id, 2, "change");

        // Act
        var entry = await cache.GetAsync(widget.Id, null, null, CancellationToken.None);

        // Assert: the routed read's snapshot was refused and the primary asked (here it has version 1 too: it is the truth).
        cache.Loads.ShouldBe(2);
        entry!.Widget.Version.ShouldBe(1);
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
