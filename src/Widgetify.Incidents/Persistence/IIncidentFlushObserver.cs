namespace Widgetify.Incidents.Persistence;

/// <summary>What <see cref="OutboxFlusher"/> learns from the database and hands back to the side that keeps the
/// incident in memory (<see cref="Lifecycle.IncidentTracker"/>). Called on the flush loop, never on the monitoring loop.</summary>
internal interface IIncidentFlushObserver
{
    /// <summary>At start, an incident is still open in the database: carry on with it, counting on from
    /// <paramref name="storedImpact"/>, this instance's totals stored before.</summary>
    void Reattach(Incident stored, IncidentImpact storedImpact);

    /// <summary>The database said which stored incident a local one is: its own, or one opened elsewhere that it joined.</summary>
    void Identified(OpenResult opened);

    /// <summary>A resolution is stored (and its postmortem draft written, when configured).</summary>
    void ResolutionStored(Incident incident);
}
