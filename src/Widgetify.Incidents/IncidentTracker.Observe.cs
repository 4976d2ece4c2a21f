using System.Globalization;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Incidents;

public sealed partial class IncidentTracker
{
    // Alert windows lag the per-second SLO check by a few seconds: a breach that ended just before the alert fired
    // still started the incident.
    private static readonly TimeSpan ImpactTolerance = TimeSpan.FromSeconds(5);

    // How far back the impact start is looked for: longer breaches than this began before it.
    private static readonly TimeSpan ImpactLookback = TimeSpan.FromHours(1);

    private static readonly TimeSpan PruneInterval = TimeSpan.FromSeconds(10);

    /// <summary>Takes one second of the monitoring loop: <paramref name="snapshot"/> (already appended to
    /// <paramref name="history"/>), the alert transitions of that evaluation and the alerts active after it. Synchronous
    /// and quick; never throws and never touches the database (writes are queued for the flush loop).</summary>
    /// <param name="snapshot">The newest second.</param>
    /// <param name="transitions">Alert state changes at this evaluation.</param>
    /// <param name="history">Recent seconds, for the impact start and the baseline.</param>
    /// <param name="activeAlerts">Alerts pending or firing now: none may be for the incident to resolve.</param>
    public void Observe(
        SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, SignalHistory history, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(snapshot);
            lock (_lock)
            {
                ObserveLocked(snapshot, transitions ?? [], history, activeAlerts ?? []);
            }
        }
        catch (Exception ex)
        {
            // The monitoring loop must keep running whatever a second looks like.
            IncidentLog.ObserveFailed(_logger, ex, snapshot?.At ?? _timeProvider.GetUtcNow());
        }
    }

    private void ObserveLocked(
        SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, SignalHistory? history, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        _lastObserved = snapshot.At;
        if (snapshot.At - _lastPrune >= PruneInterval)
        {
            _lastPrune = snapshot.At;
            _clients.Prune(snapshot.At);
        }

        var openedNow = false;
        foreach (var transition in transitions.OrderBy(t => t.At).ThenBy(t => Specificity(t.Alert.Name)))
        {
            if (transition.To == AlertState.Firing)
            {
                // An alert that was already firing (a ticket escalated to a page) belongs to the incident it came
                // with; after that incident resolved, it opens no new one.
                if (_open is null && transition.From != AlertState.Firing)
                {
                    Open(transition, snapshot, history);
                    openedNow = true;
                }
                else if (_open is not null)
                {
                    AlertFired(_open, transition);
                }
            }
            else if (transition.From == AlertState.Firing && _open is not null)
            {
                var alert = transition.Alert;
                var lasted = alert.FiringSince is { } since ? string.Create(CultureInfo.InvariantCulture, $" after {(transition.At - since).TotalSeconds:0} s") : "";
                Enqueue(_open, transition.At, IncidentEventKind.AlertResolved, $"{alert.Name} resolved{lasted}: {alert.Summary}", alert.Values);
            }
        }

        if (_open is not { } open)
        {
            return;
        }

        if (!openedNow)
        {
            Count(open, snapshot);
        }

        TrackMitigation(open, snapshot);
        if (TrackResolution(open, snapshot, activeAlerts))
        {
            return;
        }

        _outbox.Add(open.State());
    }

    // When several alerts fire in the same second, the incident is named after the one that says most about the
    // cause: "the database is down" before "the pool is full" before "it is slow" before "the budget burns".
    private static readonly string[] MostSpecificFirst =
        ["DatabaseDown", "PoolSaturation", "ConnectionWaits", "DbConnectionsNearLimit", "ResponseTimeSpike", "SheddingActive", "ErrorBudgetBurn"];

    private static int Specificity(string alertName) =>
        Array.IndexOf(MostSpecificFirst, alertName) is var i and >= 0 ? i : MostSpecificFirst.Length;

    private void Open(AlertTransition transition, SignalSnapshot snapshot, SignalHistory? history)
    {
        var alert = transition.Alert;
        var detectedAt = alert.FiringSince ?? transition.At;
        var recent = history?.Window(snapshot.At, ImpactLookback).ToList() ?? [];
        if (recent.Count == 0 || recent[^1].At < snapshot.At)
        {
            recent.Add(snapshot);
        }

        var start = FindImpactStart(recent, detectedAt);
        var impactStartedAt = start < 0 ? detectedAt : recent[start].At;
        var handle = new IncidentHandle(Guid.CreateVersion7(detectedAt));
        var capture = _clients.BeginCapture(impactStartedAt - snapshot.Interval, _options.ClientCap);
        var open = new OpenIncident(handle, capture)
        {
            Title = $"{alert.Name}: {alert.Summary}",
            ImpactStartedAt = impactStartedAt,
            DetectedAt = detectedAt,
            DetectedBy = alert.Name,
            DetectionSummary = alert.Summary,
        };
        open.Alerts.Add(alert.Name);
        open.Instances.Add(_instance);
        _open = open;
        _outbox.Add(new OpenOp(handle, open.ToIncident(), _slo.LatencyP99Seconds, _slo.Availability));

        if (start >= 0)
        {
            Enqueue(open, impactStartedAt, IncidentEventKind.ImpactStarted, $"Impact started: {DescribeBreach(recent[start])}.", null, opening: true);
        }

        Enqueue(open, detectedAt, IncidentEventKind.Detected,
            $"Detected by {alert.Name}: {alert.Summary.TrimEnd('.')}{(start < 0 ? " (no SLO breach before it: impact counted from detection)" : "")}.",
            alert.Values, opening: true);

        // The seconds before the impact are the baseline the postmortem compares with; the seconds of impact before
        // detection are part of the incident: its automatic actions, samples and impact.
        var firstCounted = start < 0 ? recent.FindIndex(s => s.At >= detectedAt) : start;
        firstCounted = firstCounted < 0 ? recent.Count - 1 : firstCounted;
        for (var i = 0; i < firstCounted; i++)
        {
            if (recent[i].At > impactStartedAt - _options.BaselineWindow)
            {
                _outbox.Add(new SampleOp(handle, ToSample(recent[i])));
            }
        }

        open.Actions.Seed(firstCounted > 0 ? recent[firstCounted - 1] : null);
        for (var i = firstCounted; i < recent.Count; i++)
        {
            Count(open, recent[i]);
        }

        IncidentLog.Opened(_logger, handle.Id, open.Title, impactStartedAt);
    }

    /// <summary>The first second of the unbroken run of breached seconds ending at detection; -1 when there is none.</summary>
    private int FindImpactStart(List<SignalSnapshot> recent, DateTimeOffset detectedAt)
    {
        var i = recent.FindLastIndex(s => s.At <= detectedAt);
        if (i < 0)
        {
            i = recent.Count - 1;
        }

        var tail = recent[i].At;
        while (i >= 0 && !_slo.IsBreached(recent[i]) && tail - recent[i].At < ImpactTolerance)
        {
            i--;
        }

        if (i < 0 || !_slo.IsBreached(recent[i]))
        {
            return -1;
        }

        while (i > 0 && _slo.IsBreached(recent[i - 1]))
        {
            i--;
        }

        return i;
    }

    private void Reattach(Incident stored, IncidentImpact storedImpact)
    {
        lock (_lock)
        {
            if (_open is not null)
            {
                return; // an incident opened meanwhile: its flush joins the stored one
            }

            var now = _timeProvider.GetUtcNow();
            var handle = new IncidentHandle(stored.Id) { Joined = true };
            var open = new OpenIncident(handle, _clients.BeginCapture(now, _options.ClientCap))
            {
                Title = stored.Title,
                ImpactStartedAt = stored.ImpactStartedAt,
                DetectedAt = stored.DetectedAt,
                DetectedBy = stored.DetectedBy,
                DetectionSummary = stored.DetectionSummary,
                Status = stored.Status,
                MitigatedAt = stored.MitigatedAt,
                Stored = storedImpact,
            };
            open.Alerts.AddRange(stored.Alerts);
            open.Instances.AddRange(stored.Instances.Append(_instance).Distinct(StringComparer.Ordinal));
            _open = open;
            Enqueue(open, now, IncidentEventKind.Note,
                $"Instance {_instance} started and re-attached to the open incident; it resolves once no alert is active and the SLO is met for {_options.ResolveAfter.TotalSeconds:0} s.",
                null);
            _outbox.Add(open.State());
            IncidentLog.Reattached(_logger, stored.Id, stored.Title);
        }
    }

    private void AlertFired(OpenIncident open, AlertTransition transition)
    {
        var alert = transition.Alert;
        if (!open.Alerts.Contains(alert.Name))
        {
            open.Alerts.Add(alert.Name);
        }

        if (transition.From == AlertState.Firing)
        {
            // Already firing, now more severe (ErrorBudgetBurn's ticket became a page): dated when it escalated.
            Enqueue(open, transition.At, IncidentEventKind.AlertFiring, $"{alert.Name} escalated to {alert.Severity}: {alert.Summary}", alert.Values);
            return;
        }

        Enqueue(open, alert.FiringSince ?? transition.At, IncidentEventKind.AlertFiring, $"{alert.Name} fired ({alert.Severity}): {alert.Summary}", alert.Values);
    }

    private void Count(OpenIncident open, SignalSnapshot snapshot)
    {
        open.Requests += snapshot.Requests;
        open.Failed += snapshot.ServerErrors;
        open.Shed += snapshot.Shed;
        foreach (var action in open.Actions.Observe(snapshot))
        {
            _outbox.Add(new EventOp(open.Handle, action with { Instance = _instance }));
        }

        _outbox.Add(new SampleOp(open.Handle, ToSample(snapshot)));
    }

    private void TrackMitigation(OpenIncident open, SignalSnapshot snapshot)
    {
        if (_slo.IsMitigated(snapshot))
        {
            if (open.MitigatedRun == TimeSpan.Zero)
            {
                open.MitigatedRunStart = snapshot.At;
            }

            open.MitigatedRun += snapshot.Interval;
            open.BrokenRun = TimeSpan.Zero;
        }
        else
        {
            open.BrokenRun += snapshot.Interval;
            open.MitigatedRun = TimeSpan.Zero;
        }

        if (open.Status == IncidentStatus.Open && open.MitigatedRun >= _options.MitigatedAfter)
        {
            open.Status = IncidentStatus.Mitigated;
            var again = open.MitigatedAt is not null;
            open.MitigatedAt ??= open.MitigatedRunStart;
            Enqueue(open, open.MitigatedRunStart, IncidentEventKind.Mitigated,
                $"{(again ? "Mitigated again" : "Mitigated")}: {DescribeService(snapshot)} for {open.MitigatedRun.TotalSeconds:0} s.",
                Values(snapshot));
            if (!again)
            {
                IncidentLog.Mitigated(_logger, open.Handle.Id, open.MitigatedRunStart);
            }
        }
        else if (open.Status == IncidentStatus.Mitigated && open.BrokenRun >= _options.MitigatedAfter)
        {
            // The first mitigation time stays (it is what TTM measures); the relapse is on the timeline.
            open.Status = IncidentStatus.Open;
            Enqueue(open, snapshot.At - open.BrokenRun + snapshot.Interval, IncidentEventKind.Note,
                $"Relapse: the service stopped meeting its objectives again for {open.BrokenRun.TotalSeconds:0} s: {DescribeBreach(snapshot)}.",
                Values(snapshot));
        }
    }

    private static string StillBurning(IReadOnlyList<AlertSnapshot> activeAlerts) =>
        activeAlerts.FirstOrDefault(a => AlertEvaluator.BudgetRuleNames.Contains(a.Name)) is { } burning
            ? $" ({burning.Name} still fires until the incident's failures leave its windows)"
            : "";

    /// <returns>True when the incident was resolved (and is no longer this instance's).</returns>
    private bool TrackResolution(OpenIncident open, SignalSnapshot snapshot, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        var alertActive = activeAlerts.Any(a => a.State is AlertState.Firing or AlertState.Pending && !AlertEvaluator.BudgetRuleNames.Contains(a.Name));
        if (alertActive || _slo.IsBreached(snapshot))
        {
            open.HealthySince = null;
            return false;
        }

        open.HealthySince ??= snapshot.At;
        var healthyFor = snapshot.At - open.HealthySince.Value + snapshot.Interval;
        if (healthyFor < _options.ResolveAfter)
        {
            return false;
        }

        open.MitigatedAt ??= open.HealthySince;
        open.Status = IncidentStatus.Resolved;
        var impact = open.Impact;
        var resolvedEvent = NewEvent(snapshot.At, IncidentEventKind.Resolved,
            $"Resolved: no symptom alert active and the SLO met for {healthyFor.TotalSeconds:0} s{StillBurning(activeAlerts)}. {PostmortemWriter.DescribeImpact(impact)}.", null);
        _outbox.Add(new ResolveOp(open.Handle, open.State(), snapshot.At, resolvedEvent));
        _clients.EndCapture();
        _open = null;
        return true;
    }

    private void Enqueue(OpenIncident open, DateTimeOffset at, IncidentEventKind kind, FormattableString message, IReadOnlyDictionary<string, double>? values, bool opening = false) =>
        _outbox.Add(new EventOp(open.Handle, NewEvent(at, kind, message, values), opening));

    private IncidentEvent NewEvent(DateTimeOffset at, IncidentEventKind kind, FormattableString message, IReadOnlyDictionary<string, double>? values) => new()
    {
        Id = Guid.CreateVersion7(at),
        At = at,
        Kind = kind,
        Message = message.ToString(CultureInfo.InvariantCulture),
        Values = values,
        Instance = _instance,
    };

    private string DescribeBreach(SignalSnapshot s)
    {
        if (!s.DatabaseUp)
        {
            return "the database did not answer";
        }

        var parts = new List<string>();
        if (s.Requests > 0 && (double)s.BadRequests / s.Requests > _slo.ErrorBudget)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{(double)s.BadRequests / s.Requests:0.0%} of {s.Requests:N0} requests failed or shed (budget {_slo.ErrorBudget:0.0##%})"));
        }

        if (s.ServedLatency.Quantile(0.99) is { } p99 && p99 > _slo.LatencyP99Seconds)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"served p99 {p99:0.###} s over the {_slo.LatencyP99Seconds:0.###} s objective"));
        }

        return parts.Count == 0 ? "objectives met" : string.Join("; ", parts);
    }

    private static string DescribeService(SignalSnapshot s)
    {
        var served = s.Requests - s.Shed;
        var p99 = s.ServedLatency.Quantile(0.99) is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "n/a";
        var shed = s.Requests == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $", shedding {(double)s.Shed / s.Requests:0.0%} of requests");
        return string.Create(CultureInfo.InvariantCulture, $"served p99 {p99}, {s.ServerErrors:N0} of {served:N0} served requests failed{shed}");
    }

    private static Dictionary<string, double> Values(SignalSnapshot s) => new(StringComparer.Ordinal)
    {
        ["requests"] = s.Requests,
        ["shed"] = s.Shed,
        ["serverErrors"] = s.ServerErrors,
        ["servedP99"] = s.ServedLatency.Quantile(0.99) ?? 0,
    };

    private IncidentSample ToSample(SignalSnapshot s) => new()
    {
        At = s.At,
        Instance = _instance,
        Requests = s.Requests,
        Bad = s.BadRequests,
        Shed = s.Shed,
        P50 = s.Latency.Quantile(0.5),
        P99 = s.Latency.Quantile(0.99),
        ServedP99 = s.ServedLatency.Quantile(0.99),
        AdmissionLimit = s.AdmissionLimit,
        InFlight = s.AdmissionInFlight,
        Queued = s.AdmissionQueued,
        PoolUsed = s.PoolUsed,
        Share = s.ConnectionShare,
        Pending = s.PoolPending,
        ServerConnections = s.ServerConnections,
        MaxConnections = s.MaxConnections,
        DatabaseUp = s.DatabaseUp,
        LongestTransactionSeconds = s.LongestTransactionSeconds,
        Deadlocks = s.Deadlocks,
        Rollbacks = s.Rollbacks,
        Commits = s.Commits,
        OpensWaited = s.OpensWaited(_connectionWaitThreshold),
    };
}
