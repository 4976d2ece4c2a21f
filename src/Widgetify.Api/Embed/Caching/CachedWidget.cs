using System.Globalization;
using System.Text;
using System.Text.Json;
using NpgsqlTypes;
using Widgetify.Api.Data;
using Widgetify.Api.Polls;

namespace Widgetify.Api.Embed.Caching;

/// <summary>One widget as the embed serves it: the row, its validator and, rendered once, the bytes of each
/// representation. Immutable: a change replaces the entry.
/// <list type="bullet">
/// <item>Static kinds (counter, banner): HTML and JSON bytes.</item>
/// <item>Live kinds (clock, weather): JSON bytes; the HTML shows the time or the latest report and is rendered per
/// request, from the cached row, without the database.</item>
/// <item>Polls: the totals; each visitor's page is rendered per request (it carries their token), and a visitor who voted
/// has their own vote read from the primary as before.</item>
/// </list></summary>
internal sealed class CachedWidget
{
    /// <summary>What an entry costs besides its strings and bytes: the row's objects, the config's parsed document, the
    /// cache's own entry and dictionary slot. An estimate, checked against the heap (CachedWidgetSizeTests,
    /// docs/benchmarks.md "Rendered-widget cache"): whole entries come out 14% to 37% above what they take, so the size
    /// limit errs on the side of holding less.</summary>
    internal const int Overhead = 1_200;

    private CachedWidget(WidgetSnapshot snapshot, long filledAt, byte[]? html, string? contentSecurityPolicy, byte[]? json)
    {
        Widget = snapshot.Widget!;
        Tally = snapshot.Tally;
        Position = snapshot.Position;
        FilledAt = filledAt;
        Html = html;
        ContentSecurityPolicy = contentSecurityPolicy;
        Json = json;
        ETag = string.Create(CultureInfo.InvariantCulture, $"W/\"{Widget.Version}-{Widget.ViewCount}\"");
        Size = Overhead + (2L * (Widget.Name.Length + Widget.Kind.Length + Widget.Config.GetRawText().Length))
            + (html?.Length ?? 0) + (2L * (contentSecurityPolicy?.Length ?? 0)) + (json?.Length ?? 0)
            + (Tally is null ? 0 : 48L * Tally.VotesByOption.Count);
    }

    public Widget Widget { get; }

    /// <summary>A poll's totals (no visitor's choice); null for other kinds.</summary>
    public PollTally? Tally { get; }

    /// <summary>The WAL position the entry reflects (<see cref="WidgetSnapshot.Position"/>).</summary>
    public NpgsqlLogSequenceNumber Position { get; }

    /// <summary>When it was read (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long FilledAt { get; }

    /// <summary>The weak validator of a static rendering: version and view count, as before the cache.</summary>
    public string ETag { get; }

    /// <summary>The HTML document, UTF-8; null for live kinds and polls (rendered per request).</summary>
    public byte[]? Html { get; }

    /// <summary>The policy of <see cref="Html"/>.</summary>
    public string? ContentSecurityPolicy { get; }

    /// <summary>The public JSON, UTF-8; null for polls (their JSON holds the visitor's vote).</summary>
    public byte[]? Json { get; }

    /// <summary>Estimated bytes held, what the cache's size limit counts.</summary>
    public long Size { get; }

    /// <summary>Kinds whose HTML changes with time, not only with edits and views (their JSON is the config: it does not).</summary>
    public static bool IsLive(Widget widget) => widget.Kind is "clock" or "weather";

    /// <summary>Renders what can be rendered once; null when the snapshot found no widget.</summary>
    public static CachedWidget? From(WidgetSnapshot snapshot, long filledAt, DateTimeOffset now)
    {
        if (snapshot.Widget is not { } widget)
        {
            return null;
        }

        if (widget.Kind == PollConfig.Kind)
        {
            return new CachedWidget(snapshot, filledAt, null, null, null);
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(WidgetRenderer.RenderJson(widget), JsonSerializerOptions.Web);
        if (IsLive(widget))
        {
            return new CachedWidget(snapshot, filledAt, null, null, json);
        }

        var page = WidgetRenderer.RenderHtml(widget, new EmbedContext(now));
        return new CachedWidget(snapshot, filledAt, Encoding.UTF8.GetBytes(page.Html), page.ContentSecurityPolicy, json);
    }
}
