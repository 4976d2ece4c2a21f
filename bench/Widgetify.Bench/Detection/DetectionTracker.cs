using System.Globalization;
using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Detection;

/// <summary>
/// Folds successive answers of <c>/api/alerts</c> and <c>/api/incidents</c> into one <see cref="DetectionResult"/>.
/// No clock of its own: every time it compares comes from the service (UTC) or is the storm's onset, given in UTC.
/// Each poll may miss alerts (a poll that timed out, an alert that fired and resolved in between), so the first alert
/// is taken over everything seen, active or recent, and not from the first poll that happened to show one.
/// </summary>
internal sealed class DetectionTracker(DateTimeOffset onsetUtc, TimeSpan incidentSlack)
{
    // An alert is one (name, firingSince): a rule that fires, resolves and fires again is two alerts.
    private readonly Dictionary<(string Name, DateTimeOffset FiringSince), PolledAlert> firedAfterOnset = [];
    private readonly SortedSet<string> firingAtOnset = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, PolledIncident> incidents = [];
    private readonly List<string> openAtOnset = [];
    private IReadOnlyList<PolledAlert> activeNow = [];
    private bool sawIncidents;
    private DateTimeOffset? lastSuccess;
    private string? postmortemFile;

    public DateTimeOffset OnsetUtc { get; } = onsetUtc;

    public int Polls { get; private set; }

    public int Failures { get; private set; }

    public string? LastFailure { get; private set; }

    /// <summary>The first incident detected at or after onset (minus the slack), as last seen.</summary>
    public PolledIncident? Incident =>
        incidents.Values.OrderBy(i => i.DetectedAt).ThenBy(i => i.Id).FirstOrDefault();

    /// <summary>The resolved incident's draft, once found on disk.</summary>
    public string? PostmortemFile => postmortemFile;

    /// <summary>Nothing more to wait for: the incident resolved and its draft is on disk, or nothing fired after
    /// onset and nothing is pending or firing now (so no incident is coming either).</summary>
    public bool Settled =>
        Incident is { } incident
            ? incident.IsResolved && postmortemFile is not null
            : lastSuccess is not null && firedAfterOnset.Count == 0 && activeNow.Count == 0;

    /// <summary>Counts one polling round (however many of its requests failed).</summary>
    public void CountPoll() => Polls++;

    public void Failed(string reason)
    {
        Failures++;
        LastFailure = reason;
    }

    public void Observe(AlertsPoll poll, DateTimeOffset polledAtUtc)
    {
        ArgumentNullException.ThrowIfNull(poll);
        lastSuccess = polledAtUtc;
        activeNow = poll.Active;
        foreach (var alert in poll.Active.Concat(poll.Recent))
        {
            if (alert.FiringSince is not { } firing)
            {
                continue; // pending, or resolved without ever firing
            }

            if (firing >= OnsetUtc)
            {
                firedAfterOnset[(alert.Name, firing)] = alert;
            }
            else if (alert.ResolvedAt is null || alert.ResolvedAt >= OnsetUtc)
            {
                firingAtOnset.Add(alert.Name);
            }
        }
    }

    public void Observe(IReadOnlyList<PolledIncident> page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var from = OnsetUtc - incidentSlack;
        foreach (var incident in page)
        {
            if (incident.DetectedAt >= from)
            {
                incidents[incident.Id] = incident;
            }
            else if (!sawIncidents && !incident.IsResolved)
            {
                openAtOnset.Add(Prefix(incident.Id) + ": " + incident.Title);
            }
        }

        sawIncidents = true;
    }

    public void PostmortemFound(string path) => postmortemFile = path;

    public DetectionResult Result(double resolutionWaitSeconds, double waitedAfterLoadSeconds)
    {
        var fired = firedAfterOnset.Values.OrderBy(a => a.FiringSince).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();
        var first = fired.FirstOrDefault();
        return new DetectionResult
        {
            OnsetUtc = OnsetUtc,
            Polls = Polls,
            PollFailures = Failures,
            LastPollFailure = LastFailure,
            ObservedSeconds = lastSuccess is { } last ? Seconds(last) : 0,
            ResolutionWaitSeconds = resolutionWaitSeconds,
            WaitedAfterLoadSeconds = waitedAfterLoadSeconds,
            FiringAtOnset = [.. firingAtOnset],
            FirstAlert = first?.Name,
            FirstAlertFiringSince = first?.FiringSince,
            SecondsToFirstAlert = first?.FiringSince is { } at ? Seconds(at) : null,
            AlertsFired = [.. fired.Select(a => a.Name).Distinct(StringComparer.Ordinal)],
            ActiveAtEnd = [.. activeNow.Select(a => $"{a.Name} ({a.State})")],
            OpenAtOnset = [.. openAtOnset],
            IncidentsOpened = incidents.Count,
            Incident = Incident is { } i ? ToResult(i) : null,
        };
    }

    private IncidentResult ToResult(PolledIncident i) => new()
    {
        Id = i.Id,
        Title = i.Title,
        Status = i.Status,
        ImpactStartedAt = i.ImpactStartedAt,
        DetectedAt = i.DetectedAt,
        MitigatedAt = i.MitigatedAt,
        ResolvedAt = i.ResolvedAt,
        DetectedAfterOnsetSeconds = Seconds(i.DetectedAt),
        MitigatedAfterOnsetSeconds = i.MitigatedAt is { } m ? Seconds(m) : null,
        ResolvedAfterOnsetSeconds = i.ResolvedAt is { } r ? Seconds(r) : null,
        TimeToDetectSeconds = i.TimeToDetectSeconds,
        TimeToMitigateSeconds = i.TimeToMitigateSeconds,
        TimeToResolveSeconds = i.TimeToResolveSeconds,
        Alerts = i.Alerts,
        Impact = i.Impact,
        Postmortem = i.Postmortem,
        PostmortemWritten = i.IsResolved && postmortemFile is not null,
        PostmortemFile = postmortemFile,
    };

    private double Seconds(DateTimeOffset at) => (at - OnsetUtc).TotalSeconds;

    /// <summary>The id prefix incidents are named by (8 hex digits, as <c>./widgetify postmortem</c> accepts).</summary>
    internal static string Prefix(Guid id) => id.ToString("N", CultureInfo.InvariantCulture)[..8];
}
