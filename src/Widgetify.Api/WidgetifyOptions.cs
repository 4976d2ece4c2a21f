using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Widgetify.Api.RateLimiting;
using Widgetify.Incidents;
using Widgetify.Observability;
using Widgetify.Overload.AdmissionControl;
using Widgetify.Overload.PoolGovernance;
using Widgetify.Overload.Routing;

namespace Widgetify.Api;

/// <summary>Settings of the Widgetify service, bound from the <c>Widgetify</c> configuration section
/// (appsettings.json, or environment variables such as <c>Widgetify__Database__ConnectionString</c>).</summary>
public sealed class WidgetifyOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Widgetify";

    /// <summary>The owner's statistics (<c>GET /api/widgets/{id}/stats</c>) and how long their hourly rollups are kept.</summary>
    [ValidateObjectMembers]
    public Stats.StatsOptions Stats { get; set; } = new();

    /// <summary>Database connection settings.</summary>
    [ValidateObjectMembers]
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Public embed (<c>/w/{id}</c>) settings.</summary>
    [ValidateObjectMembers]
    public EmbedOptions Embed { get; set; } = new();

    /// <summary>Poll voting: group commit of votes and the per-IP ceiling.</summary>
    [ValidateObjectMembers]
    public Polls.PollOptions Polls { get; set; } = new();

    /// <summary>Management API settings.</summary>
    [ValidateObjectMembers]
    public ApiOptions Api { get; set; } = new();

    /// <summary>The fleet-wide connection budget that bounds this instance's pool.</summary>
    [ValidateObjectMembers]
    public ConnectionBudgetOptions ConnectionBudget { get; set; } = new();

    /// <summary>Admission control in front of the database work (overload protection).</summary>
    [ValidateObjectMembers]
    public AdmissionOptions Admission { get; set; } = new();

    /// <summary>Per-key write rate limits and per-tenant quotas.</summary>
    [ValidateObjectMembers]
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Metrics, alerts and notifications.</summary>
    [ValidateObjectMembers]
    public MonitoringOptions Monitoring { get; set; } = new();

    /// <summary>How incidents are recorded. Configured under <c>Widgetify:Monitoring:Incidents</c>, where it has always
    /// been, though monitoring itself no longer knows about incidents.</summary>
    [ValidateObjectMembers]
    [ConfigurationKeyName("Monitoring:Incidents")]
    public IncidentOptions Incidents { get; set; } = new();
}

/// <summary>How Widgetify reaches PostgreSQL.</summary>
public sealed class DatabaseOptions
{
    /// <summary>Npgsql connection string of the primary. Required.</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>Npgsql connection string with which migrations (and the features' own tables) are created, as the role
    /// that owns the schema; <see cref="ConnectionString"/> then needs only row privileges (a leaked copy of it cannot drop
    /// a table). Empty: migrations run on <see cref="ConnectionString"/>, whose role must then own the schema. The embedded
    /// cluster sets it to its superuser over the Unix socket acting as <c>widgetify_owner</c> (<c>Options=-c role=...</c>),
    /// a login with no password.</summary>
    /// <value>Default empty.</value>
    public string MigrationConnectionString { get; set; } = "";

    /// <summary>Seconds to wait to open a connection (TCP connect or pool wait) before answering 503.</summary>
    /// <value>Default 3; range 1 to 60. Npgsql's own default (15 s) would hold a visitor's request for 15 s
    /// when the database is down.</value>
    [Range(1, 60)]
    public int ConnectTimeoutSeconds { get; set; } = 3;

    /// <summary>Seconds a single SQL command may run.</summary>
    /// <value>Default 10; range 1 to 300.</value>
    [Range(1, 300)]
    public int CommandTimeoutSeconds { get; set; } = 10;

    /// <summary>Upper bound on pooled connections of this instance; null keeps the connection string's value
    /// (Npgsql's default: 100). Whatever is configured, the connection budget clamps it to what PostgreSQL can afford.</summary>
    /// <value>Default null; range 1 to 1000.</value>
    [Range(1, 1000)]
    public int? MaxPoolSize { get; set; }

    /// <summary>The <c>application_name</c> this instance shows in <c>pg_stat_activity</c>.</summary>
    /// <value>Default <c>widgetify</c>.</value>
    public string ApplicationName { get; set; } = "widgetify";

    /// <summary>Read routing to standbys. The standbys themselves are numbered entries of the same section
    /// (<c>Widgetify:Database:Replicas:0:ConnectionString</c>, ...), read by <see cref="Data.ConfiguredReplicas"/>.</summary>
    [ValidateObjectMembers]
    public ReplicaOptions Replicas { get; set; } = new();
}

/// <summary>Settings of the public embed path that site visitors hit.</summary>
public sealed class EmbedOptions
{
    /// <summary>How often buffered view counts are written to the database, in one statement.</summary>
    /// <value>Default 1 s; range 50 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ViewFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Distinct widgets buffered before a flush is forced early, bounding memory.</summary>
    /// <value>Default 50,000; range 1 to 10,000,000.</value>
    [Range(1, 10_000_000)]
    public int MaxBufferedWidgets { get; set; } = 50_000;

    /// <summary>Clicks of one banner counted per minute from one IP address (IPv6: per /64), per instance; past it the
    /// visitor is still redirected, the click is not counted, so that one machine cannot inflate a banner's count.</summary>
    /// <value>Default 20; range 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int ClicksPerMinutePerIp { get; set; } = 20;

    /// <summary>Seconds browsers and CDNs may cache an embed (<c>Cache-Control: max-age</c>).</summary>
    /// <value>Default 10; range 0 to 86,400.</value>
    [Range(0, 86_400)]
    public int CacheMaxAgeSeconds { get; set; } = 10;

    /// <summary>The origin visitors reach the embeds at (e.g. <c>https://widgets.example.com</c>), used in the snippets of
    /// <c>GET /api/widgets/{id}/embed</c>. Empty: the scheme and host the snippet was requested at, which is right unless a
    /// proxy in front rewrites them.</summary>
    /// <value>Default empty; an absolute http(s) URL without query or fragment.</value>
    [RegularExpression(@"^(https?://[^/?#\s]+(/[^?#\s]*)?)?$", ErrorMessage = "Widgetify:Embed:PublicBaseUrl must be an absolute http(s) URL such as https://widgets.example.com, or empty.")]
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>The rendered-widget cache: what bounds its staleness and its memory (<c>Widgetify:Embed:Cache</c>).</summary>
    [ValidateObjectMembers]
    public Embed.Caching.EmbedCacheOptions Cache { get; set; } = new();
}

/// <summary>Settings of the management API.</summary>
public sealed class ApiOptions
{
    /// <summary>Largest request body accepted, in bytes; larger bodies get 413.</summary>
    /// <value>Default 65,536; range 16,384 to 10,485,760 (a widget's config alone may take 16 KiB).</value>
    [Range(16_384, 10_485_760)]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a validated API key is trusted before it is checked against the database again. A revoke,
    /// rotation or expiry change reaches every instance at once (PostgreSQL LISTEN/NOTIFY); this is the bound only while
    /// an instance cannot hear those notifications.</summary>
    /// <value>Default 30 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a refused API key (unknown, revoked, expired) is answered from memory, so a script repeating a
    /// bad key costs no database lookup. Any key change (a key created, revoked, rotated) empties this cache on every
    /// instance, so a key that becomes valid is never refused from memory. Zero turns it off.</summary>
    /// <value>Default 10 s; range 0 to 5 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RejectedKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many refused API keys are remembered at most. When full, further bad keys are looked up (and cost
    /// a database round trip, behind admission control) rather than growing memory.</summary>
    /// <value>Default 10,000 (about 1 MB); range 0 to 1,000,000.</value>
    [Range(0, 1_000_000)]
    public int RejectedKeyCacheSize { get; set; } = 10_000;

    /// <summary>How often each instance writes when its keys were last used (<c>keys list</c> shows it), in one statement.</summary>
    /// <value>Default 1 min; range 1 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeyUsageFlushInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an <c>Idempotency-Key</c> is remembered.</summary>
    /// <value>Default 24 h; range 1 min to 30 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>On stop (SIGTERM, Ctrl-C), how long the instance keeps accepting connections after <c>/health/ready</c>
    /// has turned to fail, so a balancer's health check sees it and sends no more before the listener closes. Requests
    /// that arrive meanwhile are served, with <c>Connection: close</c>. Zero when nothing balances the instance (what
    /// <c>widgetify up</c> sets unless configured: it serves 127.0.0.1 only).</summary>
    /// <value>Default 5 s; range 0 to 20 s: with the longest request deadline and the last flushes it must fit in the
    /// host's 30 s shutdown timeout.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:20")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);
}
