using System.Globalization;
using Microsoft.Extensions.Logging;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Persistence;

/// <summary>The record step of the incident lifecycle: every <see cref="IncidentOptions.FlushInterval"/> it writes what
/// the outbox holds in one transaction, resolves incidents nobody reports on any more, and finishes stored resolutions
/// (postmortem draft, then <see cref="IIncidentFlushObserver.ResolutionStored"/>). On failure everything stays queued
/// and the next flush retries it: every write is idempotent, so a retry after a lost commit counts nothing twice.</summary>
internal sealed class OutboxFlusher : IAsyncDisposable
{
    /// <summary>How often this instance looks for abandoned incidents.</summary>
    private static readonly TimeSpan AbandonCheckInterval = TimeSpan.FromSeconds(10);

    private readonly IncidentOptions _options;
    private readonly IncidentStore _store;
    private readonly IncidentOutbox _outbox;
    private readonly string _instance;
    private readonly IIncidentFlushObserver _observer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // One flush at a time: the loop's, a test's and the last one on disposal would otherwise take the same batch apart.
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(IncidentHandle Handle, Guid Id)> _resolved = [];
    private Task? _loop;
    private bool _schemaReady;
    private bool _flushFailing;
    private DateTimeOffset? _reachableSince;
    private DateTimeOffset _lastAbandonCheck = DateTimeOffset.MinValue;

    /// <summary>Creates a flusher.</summary>
    /// <param name="options">Reads the flush interval, the resolve delay (for liveness) and the postmortem directory.</param>
    /// <param name="store">Where the writes go.</param>
    /// <param name="outbox">What the tracker queued.</param>
    /// <param name="instance">This instance's name.</param>
    /// <param name="observer">Told what the database decided.</param>
    /// <param name="timeProvider">The clock of the loop.</param>
    /// <param name="logger">The log (the tracker's category).</param>
    public OutboxFlusher(
        IncidentOptions options, IncidentStore store, IncidentOutbox outbox, string instance, IIncidentFlushObserver observer,
        TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _store = store;
        _outbox = outbox;
        _instance = instance;
        _observer = observer;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>An instance that leaves must not be counted as live by a peer resolving after it; one that stopped
    /// flushing (crashed, cut off) stops counting once its row has not been refreshed for twice the resolve delay.</summary>
    public TimeSpan Liveness => TimeSpan.FromTicks(Math.Max(2 * _options.ResolveAfter.Ticks, TimeSpan.FromSeconds(10).Ticks));

    /// <summary>Prepares the tables and re-attaches to an incident still open in the database, then starts the loop.
    /// When the database is unreachable it logs and the loop keeps trying on every flush.</summary>
    /// <param name="cancellationToken">Cancels the preparation.</param>
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

    /// <summary>Stops the loop and waits for its flush in progress; <see cref="DisposeAsync"/> makes the last one.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    /// <summary>One last flush attempt (at most 5 s), then releases the loop's resources. Call after <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
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

    /// <summary>Writes what the outbox holds in one transaction, then finishes stored resolutions (postmortem draft,
    /// <see cref="IIncidentFlushObserver.ResolutionStored"/>). On failure everything stays queued for the next flush.</summary>
    /// <returns>True when the database took everything.</returns>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            OutboxBatch? batch = null;
            try
            {
                await PrepareAsync(cancellationToken);
                await CloseAbandonedAsync(cancellationToken);
                batch = _outbox.Take();
                if (!batch.IsEmpty)
                {
                    Apply(await _store.ApplyAsync(batch, _instance, Liveness, cancellationToken));
                }

                batch = null;
                await CompleteResolutionsAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _reachableSince = null;
                if (batch is not null)
                {
                    _outbox.Return(batch);
                }

                if (!_flushFailing)
                {
                    _flushFailing = true;
                    IncidentLog.FlushFailed(_logger, ex, _outbox.PendingOps, _outbox.PendingSamples);
                }

                return false;
            }
            catch
            {
                if (batch is not null)
                {
                    _outbox.Return(batch);
                }

                throw;
            }

            if (_flushFailing)
            {
                _flushFailing = false;
                IncidentLog.FlushRecovered(_logger);
            }

            if (_outbox.TakeDroppedSamples() is > 0 and var dropped)
            {
                IncidentLog.SamplesDropped(_logger, dropped);
            }

            return true;
        }
        finally
        {
            _flushGate.Release();
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
            _observer.Reattach(open, stored);
        }

        _schemaReady = true;
    }

    /// <summary>Resolves incidents nobody reports on any more (<see cref="IncidentStore.CloseAbandonedAsync"/>), every
    /// <see cref="AbandonCheckInterval"/>, but only once this instance has reached the database for a whole liveness
    /// period: right after an outage every instance looks silent, and a live incident must not be closed for that.</summary>
    private async Task CloseAbandonedAsync(CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        _reachableSince ??= now;
        if (now - _reachableSince < Liveness || now - _lastAbandonCheck < AbandonCheckInterval)
        {
            return;
        }

        _lastAbandonCheck = now;
        if (await _store.CloseAbandonedAsync(Liveness, cancellationToken) > 0)
        {
            IncidentLog.AbandonedClosed(_logger, Liveness);
        }
    }

    private void Apply(FlushResult result)
    {
        foreach (var opened in result.Opened)
        {
            _observer.Identified(opened);
            if (opened.Joined)
            {
                IncidentLog.Joined(_logger, opened.Id);
            }
        }

        foreach (var resolution in result.Resolutions)
        {
            if (resolution.Resolved)
            {
                lock (_resolved)
                {
                    _resolved.Add((resolution.Handle, resolution.Id));
                }
            }
            else
            {
                IncidentLog.Left(_logger, resolution.Id, resolution.StillIn);
            }
        }
    }

    private async Task CompleteResolutionsAsync(CancellationToken cancellationToken)
    {
        List<(IncidentHandle Handle, Guid Id)> pending;
        lock (_resolved)
        {
            pending = [.. _resolved];
        }

        foreach (var (handle, id) in pending)
        {
            // Loading can fail like any query: the resolution stays pending and is finished by a later flush.
            var report = await _store.LoadReportAsync(id, cancellationToken);
            lock (_resolved)
            {
                _resolved.Remove((handle, id));
            }

            if (report is null)
            {
                continue;
            }

            var incident = report.Incident;
            if (_options.PostmortemDirectory is { } directory && incident.PostmortemPath is null)
            {
                incident = await WritePostmortemAsync(handle, report, directory, cancellationToken) ?? incident;
            }

            var impact = incident.Impact;
            IncidentLog.Resolved(_logger, id, incident.ResolvedAt, impact.FailedOrShedPercent, impact.Requests, impact.ClientClosed, impact.ClientsAffectedPercent);
            try
            {
                _observer.ResolutionStored(incident);
            }
            catch (Exception ex)
            {
                IncidentLog.ResolvedHandlerFailed(_logger, ex, id);
            }
        }
    }

    private async Task<Incident?> WritePostmortemAsync(IncidentHandle handle, IncidentReport report, string directory, CancellationToken cancellationToken)
    {
        var id = report.Incident.Id;
        string path;
        try
        {
            var draft = PostmortemWriter.Write(report);
            Directory.CreateDirectory(directory);
            path = Path.GetFullPath(Path.Combine(directory, draft.FileName));
            await File.WriteAllTextAsync(path, draft.Markdown, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(directory, draft.ChartFileName), draft.ChartSvg, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A full disk, a folder it may not write, or a bug in the writer: the resolution itself stands, and
            // './widgetify postmortem <id>' can write the draft later.
            IncidentLog.PostmortemFailed(_logger, ex, id, directory);
            return null;
        }

        IncidentLog.PostmortemWritten(_logger, id, path);
        var now = _timeProvider.GetUtcNow();
        var entry = new IncidentEvent
        {
            Id = Guid.CreateVersion7(now),
            At = now,
            Kind = IncidentEventKind.PostmortemWritten,
            Message = string.Create(CultureInfo.InvariantCulture, $"Postmortem draft written to {path}."),
            Instance = _instance,
        };

        // Through the outbox like every other write: if the database went away meanwhile it is recorded later.
        _outbox.Add(new PostmortemOp(handle, path, entry));
        var batch = _outbox.Take();
        try
        {
            Apply(await _store.ApplyAsync(batch, _instance, Liveness, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _outbox.Return(batch);
        }
        catch (OperationCanceledException)
        {
            _outbox.Return(batch);
            throw;
        }

        return report.Incident with { PostmortemPath = path };
    }
}
