using Widgetify.Api.Notifications;

namespace Widgetify.Api.Auth;

/// <summary>Hears on <see cref="Channel"/>, where migration 0002's trigger announces every key insert, revoke, expiry
/// change and delete, and evicts that key from <see cref="ApiKeyCache"/>: a revoked key stops working on every instance
/// as soon as the revoke commits, not after <see cref="ApiOptions.ApiKeyCacheDuration"/>. The connection is the
/// instance's one <see cref="NotificationListener"/>; every (re)connect of it empties the cache, so staleness is bounded
/// by the cache duration while disconnected and by one notification's delivery while connected.</summary>
internal sealed class ApiKeyChangeSubscriber(ApiKeyCache cache) : INotificationSubscriber
{
    public const string Channel = "widgetify_api_keys";

    public IReadOnlyCollection<string> Channels { get; } = [Channel];

    public void OnNotification(string channel, string payload) => Apply(payload);

    public void OnListening() => cache.ForgetAll();

    /// <summary>Applies one notification, <c>insert|update|delete:&lt;key id&gt;</c>.</summary>
    internal void Apply(string payload)
    {
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && Guid.TryParse(payload.AsSpan(colon + 1), out var keyId))
        {
            cache.Forget(keyId);
        }
        else
        {
            cache.ForgetAll(); // a payload from a newer schema we do not understand: the safe answer is to forget
        }
    }
}
