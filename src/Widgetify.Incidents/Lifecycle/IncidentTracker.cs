using System.Globalization;
using Microsoft.Extensions.Logging;
using Widgetify.Incidents.Impact;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Spool;
using Widgetify.Incidents.Timeline;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;
using Widgetify.Observability.Signals;

namespace Widgetify.Incidents.Lifecycle;

/// <summary>Turns the monitoring loop's seconds into incidents: opens one when an alert fires (or joins the one open in
/// the database), records the timeline and the impact, marks mitigation and resolution. <see cref="Observe"/> runs on
/// the monitoring loop and never waits for the database: its writes go to an outbox that <see cref="OutboxFlusher"/>
/// writes every <see cref="IncidentOptions.FlushInterval"/> in one transaction, and that keeps them while the
/// database is down. The flusher reports back what the database decided (which stored incident this is, the
/// resolutions) through <see cref="IIncidentFlushObserver"/>.</summary>
public sealed class IncidentTracker : IMonitoringObserver, IIncidentFlushObserver
{
    // How far back the impact start is looked for: longer breaches than this began before it.
    private static readonly TimeSpan ImpactLookback = TimeSpan.FromHours(1);

    private static readonly TimeSpan PruneInterval = TimeSpan.FromSeconds(10);

    // Automatic actions taken while no incident was open, kept for the one that may open next: at most this many.
    private const int HeldActionsCap = 64;

    private readonly IncidentOptions _options;
    private readonly ServiceLevelObjectives _slo;
    private readonly ClientImpactTracker _clients;
    private readonly string _instance;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<IncidentTracker> _logger;
    private readonly IncidentOutbox _outbox;
    private readonly OutboxFlusher _flusher;
    private readonly IncidentLifecycle _lifecycle;
    private readonly double _connectionWaitThreshold;

    // Guards _open: Observe (the monitoring loop), the flusher's reports and Current (the API) all reach it.
    private readonly Lock _lock = new();
    private OpenIncident? _open;
    private IReadOnlyList<string> _standingFindings = [];

    // Guarded by _lock. Actions taken before any incident was open (a supervisor restarting PostgreSQL 0.4 s after a
    // kill -9, before the alert that opens the incident has fired): an incident whose impact they fall in lists them.
    private readonly Queue<(DateTimeOffset At, string Message, IReadOnlyDictionary<string, double>? Values)> _heldActions = new();
    private DateTimeOffset _lastPrune;
    private DateTimeOffset _lastObserved = DateTimeOffset.MinValue;
    private int _disposed;

    /// <summary>Creates a tracker.</summary>
    /// <param name="options">Settings; copied, so later changes have no effect.</param>
    /// <param name="slo">What breached and mitigated mean.</param>
    /// <param name="alerts">The alert settings: the samples count the connection opens that waited as ConnectionWaits does.</param>
    /// <param name="store">Where incidents are kept.</param>
    /// <param name="clients">Clients seen and hurt, fed by <see cref="ClientImpactExtensions.UseClientImpactTracking"/>.</param>
    /// <param name="instance">This instance's name, unique in the fleet (it keys the samples and impact rows).</param>
    /// <param name="timeProvider">The clock of the flush loop.</param>
    /// <param name="logger">The log.</param>
    public IncidentTracker(
        IncidentOptions options, ServiceLevelObjectives slo, AlertOptions alerts, IncidentStore store, ClientImpactTracker clients, string instance,
        TimeProvider timeProvider, ILogger<IncidentTracker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(slo);
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentException.ThrowIfNullOrWhiteSpace(instance);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _options = new IncidentOptions
        {
            ResolveAfter = options.ResolveAfter,
            MitigatedAfter = options.MitigatedAfter,
            SampleRetention = options.SampleRetention,
            BaselineWindow = options.BaselineWindow,
            ClientWindow = options.ClientWindow,
            ClientCap = options.ClientCap,
            PostmortemDirectory = options.PostmortemDirectory,
            FlushInterval = options.FlushInterval,
            SpoolFile = options.SpoolFile,
        };
        _slo = slo;
        _clients = clients;
        _instance = instance;
        _timeProvider = timeProvider;
        _logger = logger;
        _lifecycle = new IncidentLifecycle(slo, _options);
        _connectionWaitThreshold = alerts.AcquireWaitP99Seconds;
        _outbox = new IncidentOutbox((int)Math.Max(60, _options.SampleRetention.TotalSeconds));
        var spool = string.IsNullOrWhiteSpace(_options.SpoolFile) ? null : new IncidentSpool(_options.SpoolFile, timeProvider);
        _flusher = new OutboxFlusher(_options, store, _outbox, spool, instance, this, timeProvider, logger);
    }

    /// <summary>The incident this instance is in (open or mitigated); null when there is none.</summary>
    public Incident? Current
    {
        get
        {
            lock (_lock)
            {
                return _open?.ToIncident();
            }
        }
    }

    /// <summary>Raised on the flush loop once a resolution is stored (and the draft written, when configured).</summary>
    public event EventHandler<Incident>? Resolved;

    /// <summary>Writes waiting in the outbox: timeline operations and samples.</summary>
    internal (int Ops, int Samples) Pending => (_outbox.PendingOps, _outbox.PendingSamples);

    /// <summary>Creates the tables, writes what the last stop kept in <see cref="IncidentOptions.SpoolFile"/>, re-attaches
    /// to an incident still open in the database (this instance restarted during it, or joined a fleet in one) and
    /// starts the flush loop. When the database is unreachable it logs and keeps trying on every flush instead of failing
    /// the start: a DatabaseDown incident must still be recorded.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public Task StartAsync(CancellationToken cancellationToken) => _flusher.StartAsync(cancellationToken);

    /// <summary>Writes what the outbox holds now (<see cref="OutboxFlusher.FlushAsync"/>).</summary>
    /// <returns>True when the database took everything.</returns>
    internal Task<bool> FlushAsync(CancellationToken cancellationToken) => _flusher.FlushAsync(cancellationToken);

    /// <summary>Stops the flush loop after one last flush attempt; what the database did not take then goes to
    /// <see cref="IncidentOptions.SpoolFile"/> for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host stops it (last flush while the database still runs), then the container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _flusher.StopAsync();
        Leave();
        await _flusher.DisposeAsync();
    }

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

    /// <summary>Records on the open incident's timeline something the service did outside the monitoring loop (the
    /// autoscaler adding a standby, the supervisor restarting PostgreSQL). When no incident is open it is held for an
    /// hour: an incident that opens later lists it if it happened after that incident's impact began or its alert went
    /// pending, whichever came first, or within one sampling interval before (a restart within a second of a crash comes
    /// before the alert that opens the incident). Quick, never touches the database.</summary>
    /// <param name="at">When it happened.</param>
    /// <param name="message">What was done and why, in one or two sentences.</param>
    /// <param name="values">Figures behind it, for the postmortem; none when null.</param>
    /// <returns>True when an incident was open and the entry was queued; false when it was held for a later one.</returns>
    public bool RecordAutomaticAction(DateTimeOffset at, string message, IReadOnlyDictionary<string, double>? values = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        lock (_lock)
        {
            if (_open is not { } open)
            {
                while (_heldActions.Count > 0 && (_heldActions.Count >= HeldActionsCap || _heldActions.Peek().At < at - ImpactLookback))
                {
                    _heldActions.Dequeue();
                }

                _heldActions.Enqueue((at, message, values));
                return false;
            }

            Enqueue(open, at, IncidentEventKind.AutomaticAction, $"{message}", values);
            return true;
        }
    }

    /// <summary>Replaces the configuration findings that stand now (the pool review's critical findings, one sentence
    /// each). Each is a timeline entry of the incident open now, and of every incident opened while it stands, once per
    /// incident; the postmortem ranks them as a root-cause candidate. Quick, never touches the database.</summary>
    /// <param name="findings">The findings now; empty when none stands.</param>
    public void SetStandingFindings(IReadOnlyList<string> findings)
    {
        ArgumentNullException.ThrowIfNull(findings);
        lock (_lock)
        {
            _standingFindings = [.. findings];
            if (_open is { } open)
            {
                RecordStandingFindings(open, _timeProvider.GetUtcNow());
            }
        }
    }

    private void RecordStandingFindings(OpenIncident open, DateTimeOffset at)
    {
        foreach (var finding in _standingFindings)
        {
            if (open.Findings.Add(finding))
            {
                Enqueue(open, at, IncidentEventKind.ConfigurationFinding, $"{finding}", null);
            }
        }
    }

    void IIncidentFlushObserver.Reattach(Incident stored, IncidentImpact storedImpact)
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
            RecordStandingFindings(open, now);
            // This instance's own actions since the stored impact start: when the alert went pending on the instance
            // that opened the incident is not stored, so an incident with no breach before its alert starts here at
            // detection. They are actions of an instance that just started, rarely older than that.
            ReleaseHeldActions(open, stored.ImpactStartedAt);
            _outbox.Add(open.State());
            IncidentLog.Reattached(_logger, stored.Id, stored.Title);
        }
    }

    void IIncidentFlushObserver.Identified(OpenResult opened)
    {
        // Under the lock with the totals, so that Current never shows the stored id with the local totals alone.
        lock (_lock)
        {
            opened.Handle.Id = opened.Id;
            opened.Handle.Joined = opened.Joined;
            if (_open?.Handle == opened.Handle)
            {
                _open.Stored = opened.StoredImpact;
            }
        }
    }

    void IIncidentFlushObserver.ResolutionStored(Incident incident) => Resolved?.Invoke(this, incident);

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
        RecordStandingFindings(open, detectedAt);

        // Actions taken before the alert fired that belong to this incident: since its condition first held (the alert's
        // pending start) or the impact began, whichever came first, and within the interval before it (a restart within
        // a second of a crash lands before the sample that sees the crash). An alert with no SLO breach before it (its
        // impact counted from detection) still gets what was done while it was pending.
        var heldFrom = alert.PendingSince is { } pendingSince && pendingSince < impactStartedAt ? pendingSince : impactStartedAt;
        ReleaseHeldActions(open, heldFrom - snapshot.Interval);

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

    /// <summary>Puts the actions held while no incident was open and taken after <paramref name="after"/> on
    /// <paramref name="open"/>'s timeline; older ones were about something else. Under the lock.</summary>
    private void ReleaseHeldActions(OpenIncident open, DateTimeOffset after)
    {
        foreach (var held in _heldActions.Where(a => a.At > after))
        {
            Enqueue(open, held.At, IncidentEventKind.AutomaticAction, $"{held.Message}", held.Values);
        }

        _heldActions.Clear();
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

    private void Resolve(OpenIncident open, LifecycleStep resolved)
    {
        var resolvedEvent = NewEvent(resolved.At, IncidentEventKind.Resolved, $"{resolved.Reason} {PostmortemWriter.DescribeImpact(open.Impact)}.", null);
        _outbox.Add(new ResolveOp(open.Handle, open.State(), resolved.At, resolvedEvent));
        _clients.EndCapture();
        _open = null;
    }

    /// <summary>A stopping instance no longer reports on its open incident: it says so, so that the instances left (or
    /// the next to start) resolve it once healthy instead of waiting for this one's liveness to lapse.</summary>
    private void Leave()
    {
        lock (_lock)
        {
            if (_open is not { } open)
            {
                return;
            }

            // The timeline is in the snapshots' time; the clock only when it is later (it is, in service).
            var now = _timeProvider.GetUtcNow() is var clock && clock > _lastObserved ? clock : _lastObserved;
            _outbox.Add(new LeaveOp(open.Handle, open.State(), now, NewEvent(now, IncidentEventKind.Note,
                $"Instance {_instance} stopped while the incident was {open.Status.ToString().ToLowerInvariant()}; it no longer reports on it.", null)));
            _open = null;
        }
    }

    private void Count(OpenIncident open, SignalSnapshot snapshot)
    {
        open.Requests += snapshot.Requests;
        open.Failed += snapshot.ServerErrors;
        open.Shed += snapshot.Shed;
        open.ClientClosed += snapshot.ClientClosed; // its own class: a client that gave up is not a failure of ours
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
        ClientClosed = s.ClientClosed,
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
