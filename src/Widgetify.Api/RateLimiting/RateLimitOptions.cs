using System.ComponentModel.DataAnnotations;

namespace Widgetify.Api.RateLimiting;

/// <summary>Per-key write rate limits and per-tenant quotas (<c>Widgetify:RateLimits</c>). These are the defaults of
/// every tenant; a row of <c>tenant_limits</c> (<c>./widgetify tenants set-limits</c>) overrides any of them for one
/// tenant. They are meant to be met by a runaway script, never by a site owner.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether writes are rate-limited and quotas enforced. The benchmarks and drills turn it off so that they
    /// keep measuring the service, not the limiter; usage is tracked either way.</summary>
    /// <value>Default true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Writes (POST, PUT, PATCH, DELETE under <c>/api/</c>) one API key may make per second, sustained: the
    /// rate at which its token bucket refills.</summary>
    /// <value>Default 100; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int WritesPerSecond { get; set; } = 100;

    /// <summary>Writes one API key may make at once after a quiet period: the size of its token bucket.</summary>
    /// <value>Default 200; range 1 to 10,000,000.</value>
    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 200;

    /// <summary>Widgets one tenant may own. Above the demo tenant's 10,000 seeded widgets.</summary>
    /// <value>Default 100,000; range 0 to 1,000,000,000.</value>
    [Range(0, 1_000_000_000)]
    public long MaxWidgets { get; set; } = 100_000;

    /// <summary>Bytes of widget names and configurations (as PostgreSQL prints them) one tenant may store.</summary>
    /// <value>Default 1 GiB (1,073,741,824); range 0 to 1 TiB.</value>
    [Range(0, 1L << 40)]
    public long MaxStoredBytes { get; set; } = 1L << 30;

    /// <summary>How often an instance rereads <c>tenant_limits</c>: a changed limit applies to every running instance
    /// within this time.</summary>
    /// <value>Default 5 s; range 100 ms to 5 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan LimitsRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}
