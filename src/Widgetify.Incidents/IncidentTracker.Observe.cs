using System.Globalization;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Incidents;

public sealed partial class IncidentTracker
{
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

    // observe (the snapshot) -> decide (IncidentLifecycle, pure) -> act (timeline and outbox) -> record (the flush).
    private void ObserveLocked(
        SignalSnapshot snapshot, IReadOnlyList<AlertTransition> transitions, SignalHistory? history, IReadOnlyList<AlertSnapshot> activeAlerts)
    {
        _lastObserved = snapshot.At;
        if (snapshot.At - _lastPrune >= PruneInterval)
        {
            _lastPrune = snapshot.At;
            _clients.Prune(snapshot.At);
        }

        var ordered = IncidentLifecycle.Order(transitions);
        var decision = _lifecycle.Decide(_open?.Lifecycle ?? LifecycleState.None, snapshot, ordered, activeAlerts);
        if (decision.OpenedBy is { } opener)
        {
            Open(ordered[opener], snapshot, history);
        }

        if (_open is not { } open)
        {
            return;
        }

        // The transitions before the opening one had no incident to go to.
        for (var i = decision.OpenedBy is { } o ? o + 1 : 0; i < ordered.Count; i++)
        {
            RecordAlert(open, ordered[i]);
        }

        if (decision.OpenedBy is null)
        {
            Count(open, snapshot);
        }

        open.Lifecycle = decision.Next;
        foreach (var step in decision.Steps)
        {
            if (step.Kind == LifecycleStepKind.Resolved)
            {
                Resolve(open, step);
                return;
            }

            Enqueue(open, step.At, step.Kind == LifecycleStepKind.Mitigated ? IncidentEventKind.Mitigated : IncidentEventKind.Note, $"{step.Reason}", step.Values);
            if (step is { Kind: LifecycleStepKind.Mitigated, Again: false })
            {
                IncidentLog.Mitigated(_logger, open.Handle.Id, step.At);
            }
        }

        _outbox.Add(open.State());
    }

    private void RecordAlert(OpenIncident open, AlertTransition transition)
    {
        if (transition.To == AlertState.Firing)
        {
            AlertFired(open, transition);
        }
        else if (transition.From == AlertState.Firing)
        {
            var alert = transition.Alert;
            var lasted = alert.FiringSince is { } since ? string.Create(CultureInfo.InvariantCulture, $" after {(transition.At - since).TotalSeconds:0} s") : "";
            Enqueue(open, transition.At, IncidentEventKind.AlertResolved, $"{alert.Name} resolved{lasted}: {alert.Summary}", alert.Values);
        }
    }

    private void Resolve(OpenIncident open, LifecycleStep resolved)
    {
        var resolvedEvent = NewEvent(resolved.At, IncidentEventKind.Resolved, $"{resolved.Reason} {PostmortemWriter.DescribeImpact(open.Impact)}.", null);
        _outbox.Add(new ResolveOp(open.Handle, open.State(), resolved.At, resolvedEvent));
        _clients.EndCapture();
        _open = null;
    }

    private void Open(AlertTransition transition, SignalSnapshot snapshot, SignalHistory? history)
    {
        var alert = transition.Alert;
        var detectedAt = alert.FiringSince ?? transition.At;
        var recent = history?.Window(snapshot.At, ImpactLookback).ToList() ?? [];
        if (recent.Count == 0 || recent[^1].At < snapshot.At)
        {
            recent.Add(snapshot);
        }

        var start = _lifecycle.FindImpactStart(recent, detectedAt);
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
            Enqueue(open, impactStartedAt, IncidentEventKind.ImpactStarted, $"Impact started: {_lifecycle.DescribeBreach(recent[start])}.", null, opening: true);
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
                Lifecycle = LifecycleState.Reattached(stored.Status, stored.MitigatedAt),
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
