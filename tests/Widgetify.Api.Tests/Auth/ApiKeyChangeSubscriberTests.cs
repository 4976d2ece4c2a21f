using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Auth;
using Widgetify.Api.Data;

namespace Widgetify.Api.Tests.Auth;

/// <summary>What one notification does to the cache, without a server: the named key goes, others stay, refusals go.</summary>
public sealed class ApiKeyChangeSubscriberTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ApiKeyCache _cache;
    private readonly ApiKeyChangeSubscriber _listener;

    public ApiKeyChangeSubscriberTests()
    {
        var options = Options.Create(new WidgetifyOptions { Database = { ConnectionString = "Host=127.0.0.1" } });
        _cache = new ApiKeyCache(_time, options);
        _listener = new ApiKeyChangeSubscriber(_cache);
    }

    [Fact]
    public void Apply_UpdateOfOneKey_EvictsThatKeyAndEveryRefusalButKeepsOtherKeys()
    {
        var (revoked, kept) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        _cache.RememberValid(1, Identity(revoked), _cache.Generation);
        _cache.RememberValid(2, Identity(kept), _cache.Generation);
        _cache.RememberRejected(3, new ApiKeyRejection(ApiKeyRejectionReason.Unknown), _cache.Generation);

        _listener.Apply($"update:{revoked}");

        _cache.TryGetValid(1, out _).ShouldBeFalse();
        _cache.TryGetValid(2, out _).ShouldBeTrue();
        _cache.TryGetRejected(3, out _).ShouldBeFalse("an insert or an un-expiry may have made a refused key valid");
    }

    [Theory]
    [InlineData("")]
    [InlineData("update:")]
    [InlineData("something-newer")]
    public void Apply_PayloadNotUnderstood_ForgetsEverything(string payload)
    {
        _cache.RememberValid(1, Identity(Guid.CreateVersion7()), _cache.Generation);

        _listener.Apply(payload);

        _cache.TryGetValid(1, out _).ShouldBeFalse();
    }

    [Fact]
    public void RememberValid_KeyExpiringBeforeTheCacheDuration_IsTrustedOnlyUntilItsExpiry()
    {
        _cache.RememberValid(1, Identity(Guid.CreateVersion7(), _time.GetUtcNow().AddSeconds(5)), _cache.Generation);

        _time.Advance(TimeSpan.FromSeconds(4.9));
        _cache.TryGetValid(1, out _).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(0.1));

        _cache.TryGetValid(1, out _).ShouldBeFalse();
    }

    [Fact]
    public void RememberValid_AChangeHeardWhileTheKeyWasLookedUp_IsNotRemembered()
    {
        // Arrange: a lookup starts; a revoke commits and is heard before its answer comes back.
        var generation = _cache.Generation;
        _listener.Apply($"update:{Guid.CreateVersion7()}");

        // Act: the lookup's answer, read before the revoke committed.
        _cache.RememberValid(1, Identity(Guid.CreateVersion7()), generation);

        // Assert: the next request asks the database again.
        _cache.TryGetValid(1, out _).ShouldBeFalse();
    }

    [Fact]
    public void RememberRejected_AChangeHeardWhileTheKeyWasLookedUp_IsNotRemembered()
    {
        // Arrange: a lookup starts; the key is created (or un-revoked) and heard before the lookup's answer comes back.
        var generation = _cache.Generation;
        _listener.Apply($"insert:{Guid.CreateVersion7()}");

        // Act: the lookup's answer, read before the key existed.
        _cache.RememberRejected(1, new ApiKeyRejection(ApiKeyRejectionReason.Unknown), generation);

        // Assert: the next request asks the database again instead of being refused from memory.
        _cache.TryGetRejected(1, out _).ShouldBeFalse();
    }

    private static ApiKeyIdentity Identity(Guid keyId, DateTimeOffset? expiresAt = null) =>
        new(Guid.CreateVersion7(), "t", ApiKeyRole.Tenant, keyId, expiresAt);
}
