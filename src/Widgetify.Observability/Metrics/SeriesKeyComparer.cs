namespace Widgetify.Observability.Metrics;

/// <summary>Compares series keys, and a recording's <see cref="TagView"/> with a key, so the series dictionary is
/// searched by the recording as given (an alternate lookup) instead of by a key built, and allocated, per recording.</summary>
internal sealed class SeriesKeyComparer : IEqualityComparer<SeriesKey>, IAlternateEqualityComparer<TagView, SeriesKey>
{
    public static SeriesKeyComparer Instance { get; } = new();

    public bool Equals(SeriesKey? x, SeriesKey? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.Hash != y.Hash || x.Tags.Length != y.Tags.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Tags.Length; i++)
        {
            if (!string.Equals(x.Tags[i].Key, y.Tags[i].Key, StringComparison.Ordinal)
                || !string.Equals(x.Tags[i].Value, y.Tags[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(SeriesKey obj) => obj.Hash;

    public bool Equals(TagView alternate, SeriesKey other) => alternate.Hash == other.Hash && alternate.Matches(other);

    public int GetHashCode(TagView alternate) => alternate.Hash;

    public SeriesKey Create(TagView alternate) => alternate.ToKey();
}
