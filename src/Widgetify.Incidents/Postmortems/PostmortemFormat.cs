using System.Globalization;

namespace Widgetify.Incidents.Postmortems;

/// <summary>How the postmortem writes times, durations and numbers: invariant culture, UTC, so drafts are reproducible.</summary>
internal static class PostmortemFormat
{
    /// <summary>"+01:23 (08:01:23 UTC)": relative to the impact start, then the wall clock.</summary>
    public static string Clock(IncidentSeries series, DateTimeOffset at) => $"{Relative(series.Start, at)} ({at.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC)";

    /// <summary>"+01:23" from <paramref name="start"/> (hours when needed; a minus sign before it).</summary>
    public static string Relative(DateTimeOffset start, DateTimeOffset at)
    {
        var offset = at - start;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        offset = offset.Duration();
        return offset.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{(int)offset.TotalHours}:{offset.Minutes:00}:{offset.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{offset.Minutes:00}:{offset.Seconds:00}");
    }

    /// <summary>"February 15, 2024, 08:00:05 (UTC)", as the earlier postmortems write it.</summary>
    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("MMMM d, yyyy, HH:mm:ss", CultureInfo.InvariantCulture) + " (UTC)";

    /// <summary>"2 h 5 min 3 s", "4 min 12 s", "12 s"; "n/a" for null.</summary>
    public static string Duration(TimeSpan? duration)
    {
        if (duration is not { } d)
        {
            return "n/a";
        }

        d = d.Duration();
        return d.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalHours} h {d.Minutes} min {d.Seconds} s")
            : d.TotalMinutes >= 1
                ? string.Create(CultureInfo.InvariantCulture, $"{d.Minutes} min {d.Seconds} s")
                : string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.#} s");
    }

    /// <summary>Seconds with a unit, "0.153 s"; "n/a" for null.</summary>
    public static string Seconds(double? seconds) =>
        seconds is { } s ? s.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "n/a";
}
