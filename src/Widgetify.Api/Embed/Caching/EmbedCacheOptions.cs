using System.ComponentModel.DataAnnotations;

namespace Widgetify.Api.Embed.Caching;

/// <summary>The rendered-widget cache of the public embed (<c>Widgetify:Embed:Cache</c>): what bounds its staleness
/// and its memory. Edits reach every instance at once through LISTEN/NOTIFY; these bound the rest.</summary>
public sealed class EmbedCacheOptions : IValidatableObject
{
    /// <summary>Whether embeds are answered from memory. Off: every embed reads the database, as before the cache (the
    /// benchmark's comparison).</summary>
    /// <value>Default true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How far the view count (and a poll's totals) an embed shows may trail the database: an entry older than
    /// this is still served while one request re-reads it in the background. Every embed counts a view, so a served
    /// entry's count is always moving; this is the price of not reading it per request. The default matches the 10 s
    /// browsers and CDNs may already keep an embed (<see cref="EmbedOptions.CacheMaxAgeSeconds"/>); shorter makes a
    /// widget requested less often than once per interval cost a read per request again (measured: docs/benchmarks.md).</summary>
    /// <value>Default 10 s; range 100 ms to 10 min, at most <see cref="MaxStaleness"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ViewCountRefresh { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The oldest entry ever served: past it a request waits for the re-read. It bounds how long an edit can go
    /// unseen when its notification was missed and the background re-reads fail (the database unreachable), after which
    /// embeds fail as they would without the cache rather than show an old widget forever.</summary>
    /// <value>Default 30 s; range 1 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Background re-reads of aged entries running at once, at most. They run outside admission control, one per
    /// cached widget per <see cref="ViewCountRefresh"/>: 20,000 widgets each embedded now and then would make some 2,000
    /// reads a second. When every slot is busy an aged entry is served without a re-read (the next request that finds it
    /// aged tries again; <see cref="MaxStaleness"/> still bounds its age).</summary>
    /// <value>Default 4; range 1 to 256.</value>
    [Range(1, 256)]
    public int MaxConcurrentRefreshes { get; set; } = 4;

    /// <summary>Bytes the cached entries may take (their rendered bytes and an estimate of the record); past it the least
    /// recently used are evicted.</summary>
    /// <value>Default 64 MiB; range 1 MiB to 16 GiB.</value>
    [Range(1L << 20, 16L << 30)]
    public long SizeLimitBytes { get; set; } = 64L << 20;

    /// <summary>Widgets read into the cache before the instance reports ready: the ones visitors viewed most since the start
    /// of the previous hour, most viewed first. A process that has just started (a restart, a replacement, one more
    /// instance) would otherwise answer each widget's first embed with a database read while the balancer ramps it up
    /// (measured: docs/benchmarks.md, "A returning instance's cold cache"). 0 turns the warm-up off.</summary>
    /// <value>Default 1,000; range 0 to 100,000.</value>
    [Range(0, 100_000)]
    public int WarmUpWidgets { get; set; } = 1_000;

    /// <summary>The longest the warm-up may hold readiness back. Past it (a slow or unreachable database, a hot set larger
    /// than it can read in time) the instance reports ready and the widgets not yet read load on their first embed, as
    /// without a warm-up.</summary>
    /// <value>Default 10 s; range 1 s to 5 min (<see cref="WarmUpWidgets"/> 0 turns the warm-up off).</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan WarmUpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ViewCountRefresh > MaxStaleness)
        {
            yield return new ValidationResult(
                $"Widgetify:Embed:Cache:ViewCountRefresh ({ViewCountRefresh}) must not exceed Widgetify:Embed:Cache:MaxStaleness ({MaxStaleness}): " +
                "an entry is re-read in the background after the first and never served after the second. Lower the first or raise the second.",
                [nameof(ViewCountRefresh), nameof(MaxStaleness)]);
        }
    }
}
