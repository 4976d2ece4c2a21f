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

    /// <summary>The earliest and latest instants answered for: far enough apart for any real range, near enough to the
    /// calendar's ends that widening to a whole bucket (and adding the default span) cannot overflow.</summary>
    internal static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <inheritdoc cref="Earliest"/>
    internal static readonly DateTimeOffset Latest = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset? ParseInstant(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var shown = value.Length > 40 ? value[..40] + "…" : value;
        if (ParseIso(value) is not { } parsed)
        {
            errors[name] = [$"'{shown}' is not an ISO 8601 date-time: send e.g. 2026-12-06T00:00:00Z or 2026-12-06."];
            return null;
        }

        if (parsed < Earliest || parsed >= Latest)
        {
            // A valid date, but statistics exist only from the service's first hour on: say so rather than call it malformed.
            errors[name] = [$"'{shown}' is out of range: send a date-time from {Earliest:yyyy-MM-dd} to {Latest:yyyy-MM-dd} " +
                "(activity is kept from the 'retainedFrom' of any statistics response; earlier buckets read as zeros)."];
            return null;
        }

        return parsed;
    }

    /// <summary>ISO 8601 only (a date, or a date and time with an offset or Z; no offset means UTC), never a culture's
    /// format. The offset may be any ISO 8601 allows (up to ±23:59), not only the ±14:00 a DateTimeOffset holds: the
    /// instant is what counts. Null when the text is not such a value.</summary>
    internal static DateTimeOffset? ParseIso(string value)
    {
        if (value.Length > 40 || IsoDate().Match(value) is not { Success: true } match)
        {
            return null;
        }

        var local = match.Groups["time"].Success ? $"{match.Groups["date"].Value}T{match.Groups["time"].Value}" : match.Groups["date"].Value;
        if (!DateTime.TryParse(local, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
        {
            return null; // 2026-02-30, 25:00 and the like
        }

        var offset = TimeSpan.Zero;
        if (match.Groups["offset"].Value is { Length: 6 } text)
        {
            var hours = int.Parse(text.AsSpan(1, 2), CultureInfo.InvariantCulture);
            var minutes = int.Parse(text.AsSpan(4, 2), CultureInfo.InvariantCulture);
            if (hours > 23 || minutes > 59)
            {
                return null;
            }

            offset = new TimeSpan(hours, minutes, 0) * (text[0] == '-' ? -1 : 1);
        }

        var utcTicks = wall.Ticks - offset.Ticks;
        // Past either end of the calendar (0001-01-01T00:00+01:00): the nearest end, which the range check then refuses.
        return new DateTimeOffset(Math.Clamp(utcTicks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero);
    }

    // [0-9], not \d: .NET's \d is any Unicode digit (Arabic-Indic, Devanagari...), which DateTime and int.Parse refuse; in
    // the offset that was a 500.
    [GeneratedRegex(@"^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(T(?<time>[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?)(?<offset>Z|[+-][0-9]{2}:[0-9]{2})?)?$")]
    private static partial Regex IsoDate();
}
