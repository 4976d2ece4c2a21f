using System.Diagnostics.CodeAnalysis;
using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>What a client hands back to read its own writes: the primary's WAL insert position read right after the
/// write's COMMIT, in the same session (<c>pg_current_wal_insert_lsn()</c>; with <c>synchronous_commit=off</c>
/// <c>pg_current_wal_lsn()</c> may still trail the commit record). A server that has replayed up to this position
/// holds the write. Its text is PostgreSQL's own LSN text, <c>16/B374D848</c>; on the wire the service adds a signature
/// after a dot (Widgetify.Api's <c>ConsistencyTokenSigner</c>), so that only positions it handed out are taken back.</summary>
/// <param name="Position">The WAL position.</param>
public readonly record struct ConsistencyToken(NpgsqlLogSequenceNumber Position)
{
    /// <summary>The response header a write sets and the request header a read sends back.</summary>
    public const string HeaderName = "Widgetify-Consistency";

    /// <summary>Parses a position; false for anything that is not an LSN (the caller answers 400).</summary>
    /// <param name="value">The position's text, e.g. <c>0/3000148</c> (a header's value without its signature).</param>
    /// <param name="token">The token when the value parses.</param>
    /// <returns>True when <paramref name="value"/> is an LSN.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out ConsistencyToken token)
    {
        token = default;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 17
            || !NpgsqlLogSequenceNumber.TryParse(value.Trim(), out var position))
        {
            return false;
        }

        token = new ConsistencyToken(position);
        return true;
    }

    /// <summary>The later of two tokens: a client that wrote twice needs both writes.</summary>
    /// <param name="other">The other token.</param>
    /// <returns>The token with the higher position.</returns>
    public ConsistencyToken Max(ConsistencyToken other) => Position >= other.Position ? this : other;

    /// <summary>True when a server that has replayed up to <paramref name="replayed"/> holds the write.</summary>
    /// <param name="replayed">The server's replay (or, on the primary, insert) position.</param>
    /// <returns>Whether the write is visible there.</returns>
    public bool IsCoveredBy(NpgsqlLogSequenceNumber replayed) => replayed >= Position;

    /// <inheritdoc/>
    public override string ToString() => Position.ToString();
}
