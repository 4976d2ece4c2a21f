using System.ComponentModel.DataAnnotations;

namespace Widgetify.Incidents;

/// <summary>Settings of the incident timeline (configuration section <c>Widgetify:Monitoring:Incidents</c>).</summary>
public sealed class IncidentOptions
{
    /// <summary>An incident is resolved once no alert has been firing or pending and the SLO has not been breached for
    /// this long. Shorter closes incidents that are merely quiet for a moment; longer delays the postmortem.</summary>
    /// <value>Default 30 s; range 1 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResolveAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An incident is mitigated once the service meets its objectives for the requests it serves
    /// (<see cref="Observability.ServiceLevelObjectives.IsMitigated"/>) for this long; a relapse needs as long again.</summary>
    /// <value>Default 3 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MitigatedAfter { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Seconds of samples kept in memory while the database is unreachable (a DatabaseDown incident);
    /// beyond that the oldest samples are dropped. Timeline events are never dropped.</summary>
    /// <value>Default 1 h; range 1 min to 24 h.</value>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SampleRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Seconds before the impact started that are stored with the incident as the baseline the postmortem
    /// compares against (latency, request rate).</summary>
    /// <value>Default 60 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan BaselineWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a client is remembered after its last request, so that clients hurt in the seconds of impact
    /// before detection still count. Must exceed the time alerts take to fire.</summary>
    /// <value>Default 2 min; range 10 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan ClientWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Distinct clients tracked per incident (and in the rolling window); beyond it the counts are lower bounds
    /// (<see cref="IncidentImpact.ClientsCapped"/>). Bounds memory when a storm comes from many addresses.</summary>
    /// <value>Default 100,000; range 100 to 10,000,000.</value>
    [Range(100, 10_000_000)]
    public int ClientCap { get; set; } = 100_000;

    /// <summary>Where the service writes the postmortem draft when an incident resolves (<c>&lt;yyyyMMdd-HHmm&gt;-&lt;id&gt;.md</c> and its <c>.svg</c> chart); null writes no files (<c>./widgetify postmortem</c> still can).</summary>
    /// <value>Default null.</value>
    public string? PostmortemDirectory { get; set; }

    /// <summary>Where the incident writes still waiting for the database are kept when the service stops before it comes
    /// back (an incident opened during an outage, its timeline and samples): a JSON file, mode 0600, written at stop
    /// and delivered, then deleted, at the next start. One file per instance. Null keeps them in memory only: a stop
    /// during an outage then loses them, and the stop's log says how many. <c>./widgetify up</c> sets it to
    /// <c>&lt;data-dir&gt;/incidents.spool.json</c>.</summary>
    /// <value>Default null.</value>
    public string? SpoolFile { get; set; }

    /// <summary>How often queued timeline writes are flushed to the database, in one transaction.</summary>
    /// <value>Default 1 s; range 100 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
