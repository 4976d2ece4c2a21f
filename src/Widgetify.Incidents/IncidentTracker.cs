using Microsoft.Extensions.Logging;
using Widgetify.Incidents.Impact;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Incidents.Timeline;
using Widgetify.Observability;
using Widgetify.Observability.Alerts;

namespace Widgetify.Incidents;

/// <summary>Turns the monitoring loop's seconds into incidents: opens one when an alert fires (or joins the one open in
/// the database), records the timeline and the impact, marks mitigation and resolution, and writes the postmortem
/// draft. <see cref="Observe"/> runs on the monitoring loop and never waits for the database: its writes go to an
/// outbox that a background loop flushes every <see cref="IncidentOptions.FlushInterval"/> in one transaction, and
/// that keeps them while the database is down.</summary>
public sealed partial class IncidentTracker : IMonitoringObserver
{
    private readonly IncidentOptions _options;
    private readonly ServiceLevelObjectives _slo;
    private readonly IncidentStore _store;
    private readonly ClientImpactTracker _clients;
    private readonly string _instance;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<IncidentTracker> _logger;
    private readonly IncidentOutbox _outbox;
    private readonly IncidentLifecycle _lifecycle;
    private readonly double _connectionWaitThreshold;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private readonly List<(IncidentHandle Handle, Guid Id)> _resolved = [];
    private OpenIncident? _open;
    private Task? _loop;
    private bool _schemaReady;
    private bool _flushFailing;
    private DateTimeOffset _lastPrune;
    private DateTimeOffset _lastObserved = DateTimeOffset.MinValue;
    private DateTimeOffset? _reachableSince;
    private DateTimeOffset _lastAbandonCheck = DateTimeOffset.MinValue;

    /// <summary>How often this instance looks for abandoned incidents.</summary>
    private static readonly TimeSpan AbandonCheckInterval = TimeSpan.FromSeconds(10);

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
        };
        _slo = slo;
        _store = store;
        _clients = clients;
        _instance = instance;
        _timeProvider = timeProvider;
        _logger = logger;
        _lifecycle = new IncidentLifecycle(slo, _options);
        _connectionWaitThreshold = alerts.AcquireWaitP99Seconds;
        _outbox = new IncidentOutbox((int)Math.Max(60, _options.SampleRetention.TotalSeconds));
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

    // An instance that leaves must not be counted as live by a peer resolving after it; one that stopped flushing
    // (crashed, cut off) stops counting once its row has not been refreshed for twice the resolve delay.
    private TimeSpan Liveness => TimeSpan.FromTicks(Math.Max(2 * _options.ResolveAfter.Ticks, TimeSpan.FromSeconds(10).Ticks));

    /// <summary>Creates the tables, re-attaches to an incident still open in the database (this instance restarted
    /// during it, or joined a fleet in one) and starts the flush loop. When the database is unreachable it logs and
    /// keeps trying on every flush instead of failing the start: a DatabaseDown incident must still be recorded.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PrepareAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            IncidentLog.StartFailed(_logger, ex);
        }

        _loop ??= Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>Stops the flush loop after one last flush attempt.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host stops it (last flush while the database still runs), then the container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        Leave();

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Best effort: what is still queued is lost with the process, as a crash would lose it.
        }

        _stopping.Dispose();
        _flushGate.Dispose();
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

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _store.EnsureSchemaAsync(cancellationToken);
        var open = await _store.FindOpenAsync(cancellationToken);
        if (open is not null)
        {
            var stored = await _store.LoadInstanceImpactAsync(open.Id, _instance, cancellationToken) ?? IncidentImpact.None;
            Reattach(open, stored);
        }

        _schemaReady = true;
    }
}
