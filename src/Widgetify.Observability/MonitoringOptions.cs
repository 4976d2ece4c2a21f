using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Notifications;

namespace Widgetify.Observability;

/// <summary>Monitoring settings (section <c>Widgetify:Monitoring</c>): how often alerts are evaluated and the server
/// sampled, the objectives, the alert thresholds and where notifications go. The incident settings below it
/// (<c>Widgetify:Monitoring:Incidents</c>) belong to Widgetify.Incidents.</summary>
public sealed class MonitoringOptions
{
    /// <summary>Whether the monitoring loop runs (alerts, incidents). <c>/metrics</c> is served either way.</summary>
    /// <value>Default true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the alerts are evaluated; also the resolution of the incident timeline and the dashboard.</summary>
    /// <value>Default 1 s; range 100 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often PostgreSQL is asked about its connections and transactions (one query on the control connection).</summary>
    /// <value>Default 1 s; range 100 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan DatabaseSampleInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>This instance's name in metrics (<c>service_instance_id</c>), alerts and incidents.</summary>
    /// <value>Default null: the host name and process id.</value>
    public string? InstanceName { get; set; }

    /// <summary>When set, <c>/metrics</c> answers only requests with <c>Authorization: Bearer &lt;this token&gt;</c> (401
    /// otherwise), compared in constant time. Prometheus sends it with <c>authorization: credentials_file</c>. Unset, the
    /// endpoint is open, for a network where only the scraper reaches it.</summary>
    /// <value>Default null (open); at least 16 characters when set.</value>
    [MinLength(16)]
    public string? MetricsToken { get; set; }

    /// <summary>The URL operators reach this instance at, used in notification links.</summary>
    /// <value>Default null: links are relative.</value>
    public string? ExternalUrl { get; set; }

    /// <summary>The service-level objectives.</summary>
    [ValidateObjectMembers]
    public ServiceLevelObjectives Slo { get; set; } = new();

    /// <summary>Alert thresholds and durations.</summary>
    [ValidateObjectMembers]
    public AlertOptions Alerts { get; set; } = new();

    /// <summary>Where alert notifications are sent besides the log.</summary>
    [ValidateObjectMembers]
    public WebhookOptions Webhooks { get; set; } = new();

    /// <summary>The instance name to use: <see cref="InstanceName"/> or host/pid.</summary>
    public string ResolveInstanceName() =>
        string.IsNullOrWhiteSpace(InstanceName) ? $"{Environment.MachineName}/{Environment.ProcessId}" : InstanceName;
}
