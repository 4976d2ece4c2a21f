using System.Globalization;
using System.Text.RegularExpressions;

namespace Widgetify.Api.Stats;

/// <summary>A validated statistics request: whole buckets from <see cref="From"/> (inclusive) to <see cref="To"/>
/// (exclusive). A <c>from</c> or <c>to</c> inside a bucket is widened to the bucket's edge, so every bucket reported is
/// complete; the response shows the range actually used.</summary>
internal sealed partial record StatsQuery(StatsInterval Interval, DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The number of buckets in the range.</summary>
    public int BucketCount => (int)((To - From).Ticks / Interval.Width.Ticks);

    /// <summary>Reads the query string; defaults to the <see cref="StatsInterval.DefaultSpan"/> up to the end of the current
    /// bucket. On failure, <paramref name="errors"/> names each bad parameter and says what to send instead.</summary>
    public static StatsQuery? TryParse(string? from, string? to, string? interval, DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var width = StatsInterval.Parse(interval);
        if (width is null)
        {
            errors["interval"] = ["Must be 'hour' or 'day' (UTC days); default 'hour'."];
        }

        var fromValue = ParseInstant(from, "from", errors);
        var toValue = ParseInstant(to, "to", errors);
        if (errors.Count > 0)
        {
            return null;
        }

        var end = width!.Ceiling(toValue ?? now);
        var start = width.Floor(fromValue ?? end - width.DefaultSpan);
        if (start >= end)
        {
            errors[fromValue is null ? "to" : "from"] = [fromValue is null
                ? $"Must be later than the default 'from' ({start:O}); send 'from' too."
                : "Must be earlier than 'to' (default: now)."];
            return null;
        }

        var query = new StatsQuery(width, start, end);
        if (query.BucketCount > width.MaxBuckets)
        {
            errors["from"] = [$"The range spans {query.BucketCount} {width.Name}s; at most {width.MaxBuckets} are allowed with interval={width.Name}" +
                (width == StatsInterval.Hour ? " (use interval=day for longer ranges)." : ".")];
            return null;
        }

        return query;
    }

    private static DateTimeOffset? ParseInstant(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        // ISO 8601 only (a date, or a date and time with an offset or Z; no offset means UTC), never a culture's format.
        if (value.Length <= 40 && IsoDate().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            && parsed.UtcDateTime.Year is >= 2000 and <= 9000)
        {
            return parsed.ToUniversalTime();
        }

        var shown = value.Length > 40 ? value[..40] + "…" : value;
        errors[name] = [$"'{shown}' is not an ISO 8601 date-time: send e.g. 2026-12-06T00:00:00Z or 2026-12-06."];
        return null;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")]
    private static partial Regex IsoDate();
}
