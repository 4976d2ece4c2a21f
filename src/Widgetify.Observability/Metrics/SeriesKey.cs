using System.Diagnostics;

namespace Widgetify.Observability.Metrics;

/// <summary>The identity of a series: its tags as text, sorted by key, keys unique. Built once when a series is
/// created; recordings find it through <see cref="TagView"/> without building one.</summary>
internal sealed class SeriesKey
{
    public SeriesKey(KeyValuePair<string, string>[] sortedTags)
    {
        Debug.Assert(IsSortedAndUnique(sortedTags), "Series keys are sorted by key, keys unique.");
        Tags = sortedTags;
        foreach (var tag in sortedTags)
        {
            Hash += TagHash(tag.Key, tag.Value);
        }
    }

    public static SeriesKey Empty { get; } = new([]);

    public KeyValuePair<string, string>[] Tags { get; }

    /// <summary>The sum of the tags' hashes: a sum does not depend on the order in which a caller passed the tags,
    /// so <see cref="TagView"/> hashes them as given, without sorting.</summary>
    public int Hash { get; }

    public static int TagHash(ReadOnlySpan<char> key, ReadOnlySpan<char> value) =>
        HashCode.Combine(string.GetHashCode(key), string.GetHashCode(value));

    /// <summary>The slow path's key: any tags (duplicate keys keep the last value), sorted here.</summary>
    public static SeriesKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return Empty;
        }

        var byKey = new Dictionary<string, string>(tags.Length, StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            byKey[tag.Key ?? string.Empty] = TagValueText.Format(tag.Value);
        }

        var sorted = byKey.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new SeriesKey(sorted);
    }

    private static bool IsSortedAndUnique(KeyValuePair<string, string>[] tags)
    {
        for (var i = 1; i < tags.Length; i++)
        {
            if (string.CompareOrdinal(tags[i - 1].Key, tags[i].Key) >= 0)
            {
                return false;
            }
        }

        return true;
    }
}
