using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Widgetify.Api.Data;

namespace Widgetify.Api.Auth;

/// <summary>What this instance remembers about the keys it has seen, so that a busy client (with a valid key or a
/// bad one) does not cost a database lookup per request. Both halves are keyed by an HMAC of the key under a secret
/// made at start and never stored: memory holds neither a key nor the hash the database stores, so a heap dump gives
/// nothing to replay or to match against <c>api_keys</c>.
/// <list type="bullet">
/// <item>Valid keys, for <see cref="ApiOptions.ApiKeyCacheDuration"/> (never past the key's expiry). A revoke, a rotation
/// or an expiry change evicts the key at once through <see cref="ApiKeyChangeSubscriber"/>; the duration only bounds how
/// stale an instance can be while that listener is disconnected.</item>
/// <item>Rejected keys (unknown, revoked, expired), for <see cref="ApiOptions.RejectedKeyCacheDuration"/>, at most
/// <see cref="ApiOptions.RejectedKeyCacheSize"/> of them. Any key change empties this half, so a key inserted or
/// re-enabled is never refused from memory.</item>
/// </list></summary>
internal sealed class ApiKeyCache
{
    /// <summary>Bound on remembered valid keys: more than any deployment has, small enough to bound memory (~20 MB).</summary>
    internal const int ValidCapacity = 100_000;

    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly ExpiringCache<ApiKeyIdentity> _valid;
    private readonly ExpiringCache<ApiKeyRejection> _rejected;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _validFor;
    private readonly TimeSpan _rejectedFor;
    private long _generation;

    public ApiKeyCache(TimeProvider timeProvider, IOptions<WidgetifyOptions> options)
    {
        var api = options.Value.Api;
        _timeProvider = timeProvider;
        _validFor = api.ApiKeyCacheDuration;
        _rejectedFor = api.RejectedKeyCacheDuration;
        _valid = new ExpiringCache<ApiKeyIdentity>(ValidCapacity, timeProvider);
        _rejected = new ExpiringCache<ApiKeyRejection>(api.RejectedKeyCacheSize, timeProvider);
    }

    /// <summary>Moves on at every change heard. A lookup takes it before asking the database and hands it back to
    /// <see cref="RememberValid"/>: a change heard meanwhile (a revoke committed while the lookup ran) may have made the
    /// answer stale, and then it is not remembered.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Rejected keys remembered now (the tests' and the benchmark's view).</summary>
    public int RejectedCount => _rejected.Count;

    /// <summary>The cache key of <paramref name="apiKey"/>: 128 bits of its HMAC, as unlikely to collide as the key is to be guessed.</summary>
    public UInt128 Fingerprint(string apiKey)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(apiKey.Length)];
        HMACSHA256.HashData(_secret, utf8[..Encoding.UTF8.GetBytes(apiKey, utf8)], mac);
        return BitConverter.ToUInt128(mac);
    }

    public bool TryGetValid(UInt128 fingerprint, out ApiKeyIdentity identity) => _valid.TryGet(fingerprint, out identity);

    public bool TryGetRejected(UInt128 fingerprint, out ApiKeyRejection rejection) => _rejected.TryGet(fingerprint, out rejection);

    public void RememberValid(UInt128 fingerprint, ApiKeyIdentity identity, long generation)
    {
        var lifetime = _validFor;
        if (identity.ExpiresAt is { } expiresAt && expiresAt - _timeProvider.GetUtcNow() < lifetime)
        {
            lifetime = expiresAt - _timeProvider.GetUtcNow(); // a key expiring in 5 s is trusted for 5 s, not 30
        }

        RememberUnlessChanged(_valid, fingerprint, identity, lifetime, generation);
    }

    /// <summary>Remembers a refusal unless a key changed during the lookup: the change may have made this key valid, and
    /// its notification has already emptied the refusals, so remembering the old answer would refuse a valid key for the
    /// whole lifetime.</summary>
    public void RememberRejected(UInt128 fingerprint, ApiKeyRejection rejection, long generation) =>
        RememberUnlessChanged(_rejected, fingerprint, rejection, _rejectedFor, generation);

    /// <summary>Remembers a lookup's answer unless a key changed while it was looked up (<paramref name="generation"/> is
    /// the one read before the lookup): the next request then asks again. Forget bumps the generation before it removes,
    /// so one that ran between the first check and the Set is caught by the second, or a revoked key would be trusted
    /// (a valid one refused) for the whole lifetime.</summary>
    private void RememberUnlessChanged<TValue>(ExpiringCache<TValue> cache, UInt128 fingerprint, TValue value, TimeSpan lifetime, long generation)
    {
        if (generation != Generation)
        {
            return;
        }

        cache.Set(fingerprint, value, lifetime);
        if (generation != Generation)
        {
            cache.Remove(fingerprint);
        }
    }

    /// <summary>A key changed (revoked, rotated, expiry moved, deleted or created): forget it, and every rejection,
    /// since the change may have made a rejected key valid.</summary>
    public void Forget(Guid keyId)
    {
        Interlocked.Increment(ref _generation);
        _valid.RemoveWhere(identity => identity.KeyId == keyId);
        _rejected.Clear();
    }

    /// <summary>Changes may have been missed (the listener reconnected): trust nothing remembered.</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _valid.Clear();
        _rejected.Clear();
    }
}

/// <summary>Why a key was refused, remembered so the repeat gets the same answer without a lookup.</summary>
internal sealed record ApiKeyRejection(ApiKeyRejectionReason Reason, DateTimeOffset? ExpiredAt = null)
{
    public string Detail => Reason switch
    {
        ApiKeyRejectionReason.Revoked =>
            "The API key has been revoked. Ask an operator for a new key ('./widgetify keys create --tenant NAME') and send that one instead.",
        ApiKeyRejectionReason.Expired =>
            $"The API key expired at {ExpiredAt:yyyy-MM-dd HH:mm:ss}Z. Ask an operator for a new key ('./widgetify keys create --tenant NAME', " +
            "or 'keys rotate ID' before a key expires, which keeps the old one valid for an overlap) and send that one instead.",
        _ => "The API key is unknown or has been revoked.",
    };
}

internal enum ApiKeyRejectionReason
{
    Unknown,
    Revoked,
    Expired,
}
