namespace Widgetify.Bench.Load;

/// <summary>Draws the next request of the mix (80% embed, 10% API get, 5% list, 5% create) and the widget it
/// targets, from a seeded <see cref="Random"/> so that every configuration sees the same sequence. Not
/// thread-safe: one instance per pacing loop or worker.</summary>
internal sealed class RequestMix(int seed, int widgetCount)
{
    private readonly Random random = new(seed);

    /// <summary>Next request kind; <paramref name="widget"/> is an index into the widget ids (0 for list and create).</summary>
    public RequestKind Next(out int widget)
    {
        var roll = random.Next(100);
        var kind = roll switch
        {
            < 80 => RequestKind.Embed,
            < 90 => RequestKind.ApiGet,
            < 95 => RequestKind.ApiList,
            _ => RequestKind.ApiCreate,
        };
        widget = kind is RequestKind.Embed or RequestKind.ApiGet ? random.Next(widgetCount) : 0;
        return kind;
    }
}
