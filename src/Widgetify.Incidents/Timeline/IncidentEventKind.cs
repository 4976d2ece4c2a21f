namespace Widgetify.Incidents.Timeline;

/// <summary>What a timeline entry records.</summary>
public enum IncidentEventKind
{
    /// <summary>The first second of the SLO breach that led to the incident.</summary>
    ImpactStarted,

    /// <summary>The first alert fired: the incident was opened.</summary>
    Detected,

    /// <summary>An alert fired.</summary>
    AlertFiring,

    /// <summary>An alert resolved.</summary>
    AlertResolved,

    /// <summary>The service protected itself: shedding, an admission limit or connection share change, a queue.</summary>
    AutomaticAction,

    /// <summary>The service met its objectives again for what it serves.</summary>
    Mitigated,

    /// <summary>The incident was resolved.</summary>
    Resolved,

    /// <summary>The postmortem draft was written.</summary>
    PostmortemWritten,

    /// <summary>A setting that stood wrong while the incident was open: the pool review's critical findings (the Feb 15
    /// configuration), recorded once per incident, and a root-cause candidate in the postmortem.</summary>
    ConfigurationFinding,

    /// <summary>Anything else worth reading: a relapse, an instance joining or re-attaching.</summary>
    Note,
}
