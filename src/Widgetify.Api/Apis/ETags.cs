using System.Globalization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Widgetify.Api.Apis;

/// <summary>Widget validators. The ETag is the widget's version: it covers everything a client can change.
/// View counts move without changing it (they are statistics, not edits), so a conditional PUT is not
/// refused because somebody viewed the widget.</summary>
internal static class ETags
{
    public static string ForVersion(int version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    /// <summary>True when an If-None-Match header lists <paramref name="etag"/> (weak comparison) or is *.</summary>
    public static bool NoneMatchHits(StringValues ifNoneMatch, string etag)
    {
        if (StringValues.IsNullOrEmpty(ifNoneMatch)
            || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var current = EntityTagHeaderValue.Parse(etag); // the constructor refuses weak tags (W/"...")
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    /// <summary>Reads If-Match. A single strong ETag gives the version the client expects; * means
    /// "any version"; weak or several tags are refused because a compare-and-set needs one version.</summary>
    public static IfMatch ParseIfMatch(StringValues header)
    {
        if (StringValues.IsNullOrEmpty(header))
        {
            return new IfMatch.Absent();
        }

        if (!EntityTagHeaderValue.TryParseList(header, out var tags) || tags.Count != 1)
        {
            return new IfMatch.Malformed("If-Match must hold exactly one ETag, as returned in the ETag header of a GET (for example If-Match: \"3\").");
        }

        var tag = tags[0];
        if (tag.Equals(EntityTagHeaderValue.Any))
        {
            return new IfMatch.Any();
        }

        // Strong comparison is of the tag's characters: "01" is not the "1" a GET sent, so it matches no version (a 412).
        var text = tag.Tag.AsSpan(1, tag.Tag.Length - 2);
        return !tag.IsWeak && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            && text.SequenceEqual(version.ToString(CultureInfo.InvariantCulture))
            ? new IfMatch.Version(version)
            : new IfMatch.NoMatch();
    }

    internal abstract record IfMatch
    {
        private IfMatch() { }

        public sealed record Absent : IfMatch;

        public sealed record Any : IfMatch;

        public sealed record Version(int Value) : IfMatch;

        /// <summary>A well-formed tag that no widget version can ever have (weak, or not a number).</summary>
        public sealed record NoMatch : IfMatch;

        public sealed record Malformed(string Reason) : IfMatch;
    }
}
