namespace Widgetify.Incidents;

/// <summary>Where an incident is in its lifecycle.</summary>
public enum IncidentStatus
{
    /// <summary>Users are hurt and the service is not yet meeting its objectives.</summary>
    Open,

    /// <summary>The service meets its objectives for what it serves (possibly by shedding); not yet resolved.</summary>
    Mitigated,

    /// <summary>Over: no alert active and the SLO met for <see cref="IncidentOptions.ResolveAfter"/>.</summary>
    Resolved,
}
