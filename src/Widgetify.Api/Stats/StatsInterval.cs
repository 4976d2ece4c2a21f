namespace Widgetify.Api.Stats;

/// <summary>The width of a statistics bucket. Days are UTC days (sums of 24 hourly rows starting at 00:00 UTC): the
/// service does not know the owner's time zone, and a UTC day is the same everywhere.</summary>
internal sealed record StatsInterval(string Name, TimeSpan Width, int MaxBuckets, TimeSpan DefaultSpan)
{
    public static readonly StatsInterval Hour = new("hour", TimeSpan.FromHours(1), MaxBuckets: 31 * 24, DefaultSpan: TimeSpan.FromHours(24));

    public static readonly StatsInterval Day = new("day", TimeSpan.FromDays(1), MaxBuckets: 400, DefaultSpan: TimeSpan.FromDays(30));

    public static StatsInterval? Parse(string? value) => value switch
    {
        null or "" or "hour" => Hour,
        "day" => Day,
        _ => null,
    };

    /// <summary>The start of the bucket holding <paramref name="instant"/> (buckets are aligned to 00:00 UTC).</summary>
    public DateTimeOffset Floor(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % Width.Ticks), TimeSpan.Zero);
    }

    /// <summary>The end of the bucket holding the instant just before <paramref name="instant"/>: a bucket boundary stays put.</summary>
    public DateTimeOffset Ceiling(DateTimeOffset instant)
    {
        var floor = Floor(instant);
        return floor == instant ? floor : floor + Width;
    }
}
