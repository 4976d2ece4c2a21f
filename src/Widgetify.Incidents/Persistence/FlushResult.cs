namespace Widgetify.Incidents.Persistence;

/// <summary>What a flush decided: the stored incident behind each newly opened local one, and the resolutions.</summary>
internal sealed record FlushResult(IReadOnlyList<OpenResult> Opened, IReadOnlyList<ResolveResult> Resolutions);

/// <summary>A local incident turned out to be stored incident <paramref name="Id"/>; <paramref name="Joined"/> when it
/// was opened elsewhere, with this instance's totals already stored for it in <paramref name="StoredImpact"/>.</summary>
internal sealed record OpenResult(IncidentHandle Handle, Guid Id, bool Joined, IncidentImpact StoredImpact);

/// <summary>This instance recovered: <paramref name="Resolved"/> when the incident is over, else the live instances
/// still in it.</summary>
internal sealed record ResolveResult(IncidentHandle Handle, Guid Id, bool Resolved, IReadOnlyList<string> StillIn);
