namespace Widgetify.Api.RateLimiting;

/// <summary>One tenant's overrides of <see cref="RateLimitOptions"/>; null keeps the setting.</summary>
internal sealed record TenantLimits(int? WritesPerSecond, int? Burst, long? MaxWidgets, long? MaxStoredBytes)
{
    public static readonly TenantLimits None = new(null, null, null, null);

    /// <summary>The limits that apply: these overrides over <paramref name="defaults"/>.</summary>
    public EffectiveLimits Over(RateLimitOptions defaults) => new(
        new WriteLimit(WritesPerSecond ?? defaults.WritesPerSecond, Burst ?? defaults.Burst),
        new Quota(MaxWidgets ?? defaults.MaxWidgets, MaxStoredBytes ?? defaults.MaxStoredBytes));
}

/// <summary>The limits that apply to one tenant.</summary>
internal sealed record EffectiveLimits(WriteLimit Write, Quota Quota);

/// <summary>What a tenant may store.</summary>
internal readonly record struct Quota(long MaxWidgets, long MaxStoredBytes);

/// <summary>What a tenant stores, exactly (kept in the transaction of every write).</summary>
internal readonly record struct TenantUsage(long Widgets, long StoredBytes);
