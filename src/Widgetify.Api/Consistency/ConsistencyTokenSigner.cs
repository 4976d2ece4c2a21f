using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Consistency;

/// <summary>Signs the consistency tokens this deployment hands out and refuses any other. On the wire a token is the WAL
/// position, a dot, and 128 bits of an HMAC-SHA256 of the position under a secret every instance on the database shares
/// (migration 0007): <c>0/3000148.q1mO0Zfd9kT3tQ1WgNw0aA</c>. Before, any well-formed position was taken on trust, so a
/// client could make up one just past the primary's and have every read it sent wait for the primary's position to be
/// read again before its 400 (docs/benchmarks.md, forged consistency tokens); now a token that was altered or made up
/// is refused on the spot, without a database read. A signed token past the primary's position can still come back
/// after the database was restored to an earlier point: <see cref="PrimaryWalWatermark"/> still judges every token.</summary>
internal sealed class ConsistencyTokenSigner
{
    /// <summary>The longest value a valid token can have: <c>FFFFFFFF/FFFFFFFF</c>, the dot, and the MAC in base64url.</summary>
    internal const int MaxLength = 17 + 1 + MacChars;

    private const int SecretBytes = 32;
    private const int MacBytes = 16; // 128 bits: as hard to guess as a random UUID, and short in a header
    private const int MacChars = 22; // Base64Url.GetEncodedLength(MacBytes), unpadded

    private byte[]? _secret;

    /// <summary>Reads the deployment's secret; called once the migrations have run, before the first request.</summary>
    /// <param name="dataSource">A pool of the primary (the instance's control pool).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task LoadAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT secret FROM widgetify_consistency_secret", connection);
        Use(await command.ExecuteScalarAsync(cancellationToken) as byte[]
            ?? throw new InvalidOperationException("widgetify_consistency_secret has no row: migration 0007 inserts it; was the row deleted?"));
    }

    /// <summary>Uses <paramref name="secret"/> (the tests' way in; <see cref="LoadAsync"/> the service's).</summary>
    internal void Use(byte[] secret)
    {
        if (secret.Length != SecretBytes)
        {
            throw new ArgumentException($"The consistency secret must be {SecretBytes} bytes; it is {secret.Length}.", nameof(secret));
        }

        Volatile.Write(ref _secret, secret);
    }

    /// <summary>The token's value for the <c>Widgetify-Consistency</c> header.</summary>
    public string Sign(ConsistencyToken token)
    {
        Span<byte> mac = stackalloc byte[MacBytes];
        Mac(token, mac);
        return string.Create(CultureInfo.InvariantCulture, $"{token.Position}.{Base64Url.EncodeToString(mac)}");
    }

    /// <summary>Reads a header value; false unless it is a position and the MAC this deployment gives that position.</summary>
    public bool TryRead([NotNullWhen(true)] string? value, out ConsistencyToken token)
    {
        token = default;
        var dot = value?.LastIndexOf('.') ?? -1;
        if (value is null || value.Length > MaxLength || dot < 0 || value.Length - dot - 1 != MacChars
            || !ConsistencyToken.TryParse(value[..dot], out var parsed))
        {
            return false;
        }

        // TryDecodeFromChars throws on a character outside the alphabet (a FormatException would be a 500): checked first.
        var encoded = value.AsSpan(dot + 1);
        Span<byte> sent = stackalloc byte[MacBytes];
        if (!Base64Url.IsValid(encoded, out var length) || length != MacBytes
            || !Base64Url.TryDecodeFromChars(encoded, sent, out var written) || written != MacBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(parsed, expected);
        if (!CryptographicOperations.FixedTimeEquals(sent, expected))
        {
            return false;
        }

        token = parsed;
        return true;
    }

    private void Mac(ConsistencyToken token, Span<byte> destination)
    {
        var secret = Volatile.Read(ref _secret)
            ?? throw new InvalidOperationException("The consistency secret is not loaded: MigrateDatabaseAsync loads it before the service serves.");
        Span<byte> position = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(position, (ulong)token.Position);
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, position, full);
        full[..MacBytes].CopyTo(destination);
    }
}
