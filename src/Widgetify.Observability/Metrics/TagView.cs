namespace Widgetify.Observability.Metrics;

/// <summary>A recording's tags as the listener hands them over, with the non-string values formatted into a
/// stack buffer: the key the hot path looks series up by, so a recording of a known tag set allocates nothing.</summary>
internal readonly ref struct TagView
{
    /// <summary>Recordings with more tags than this take the slow path (ASP.NET Core records 3 to 6).</summary>
    public const int MaxTags = 16;

    /// <summary>Characters of formatted non-string values the stack buffer holds (a number needs at most 32); more
    /// take the slow path.</summary>
    public const int BufferLength = 128;

    private readonly ReadOnlySpan<KeyValuePair<string, object?>> _tags;
    private readonly ReadOnlySpan<char> _text;
    private readonly ReadOnlySpan<int> _ranges; // per tag: start in _text (-1: the value is the tag's own string), length

    private TagView(ReadOnlySpan<KeyValuePair<string, object?>> tags, ReadOnlySpan<char> text, ReadOnlySpan<int> ranges, int hash)
    {
        _tags = tags;
        _text = text;
        _ranges = ranges;
        Hash = hash;
    }

    public int Count => _tags.Length;

    public int Hash { get; }

    public string Key(int index) => _tags[index].Key ?? string.Empty;

    public ReadOnlySpan<char> Value(int index) => _ranges[2 * index] < 0
        ? ((string)_tags[index].Value!).AsSpan()
        : _text.Slice(_ranges[2 * index], _ranges[2 * index + 1]);

    /// <summary>Builds the view; false (take the slow path) with too many tags, a value that does not fit the
    /// buffer, or a key given twice.</summary>
    /// <param name="tags">The recording's tags.</param>
    /// <param name="buffer">At least <see cref="BufferLength"/> characters.</param>
    /// <param name="ranges">At least two per tag.</param>
    /// <param name="view">The view over the three spans.</param>
    public static bool TryCreate(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> buffer, Span<int> ranges, out TagView view)
    {
        view = default;
        if (tags.Length > MaxTags || ranges.Length < 2 * tags.Length)
        {
            return false;
        }

        var used = 0;
        var hash = 0;
        for (var i = 0; i < tags.Length; i++)
        {
            var key = tags[i].Key ?? string.Empty;
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(key, tags[j].Key ?? string.Empty, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            ReadOnlySpan<char> value;
            if (tags[i].Value is string text)
            {
                ranges[2 * i] = -1;
                ranges[2 * i + 1] = text.Length;
                value = text;
            }
            else
            {
                if (!TagValueText.TryFormat(tags[i].Value, buffer[used..], out var written))
                {
                    return false;
                }

                ranges[2 * i] = used;
                ranges[2 * i + 1] = written;
                value = buffer.Slice(used, written);
                used += written;
            }

            hash += SeriesKey.TagHash(key, value);
        }

        view = new TagView(tags, buffer[..used], ranges[..(2 * tags.Length)], hash);
        return true;
    }

    /// <summary>Whether this recording names the series <paramref name="key"/>, whatever the order of its tags.</summary>
    public bool Matches(SeriesKey key)
    {
        var sorted = key.Tags;
        if (sorted.Length != _tags.Length)
        {
            return false;
        }

        // Keys are unique on both sides and the counts are equal, so every tag found means the same set. A linear
        // search beats sorting for the handful of tags a recording has.
        for (var i = 0; i < _tags.Length; i++)
        {
            var k = Key(i);
            var found = false;
            foreach (var tag in sorted)
            {
                if (string.Equals(tag.Key, k, StringComparison.Ordinal))
                {
                    if (!Value(i).SequenceEqual(tag.Value))
                    {
                        return false;
                    }

                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The key of a new series for this recording.</summary>
    public SeriesKey ToKey()
    {
        if (_tags.IsEmpty)
        {
            return SeriesKey.Empty;
        }

        var tags = new KeyValuePair<string, string>[_tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = new(Key(i), _ranges[2 * i] < 0 ? (string)_tags[i].Value! : Value(i).ToString());
        }

        Array.Sort(tags, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new SeriesKey(tags);
    }
}
