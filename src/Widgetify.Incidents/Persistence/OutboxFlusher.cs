using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Core.Database;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Spool;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents.Persistence;

/// <summary>The record step of the incident lifecycle: every <see cref="IncidentOptions.FlushInterval"/> it writes what
/// the outbox holds in one transaction, resolves incidents nobody reports on any more, and finishes stored resolutions
/// (postmortem draft, then <see cref="IIncidentFlushObserver.ResolutionStored"/>). On failure everything stays queued
/// and the next flush retries it: every write is idempotent, so a retry after a lost commit counts nothing twice. What a
/// flush cannot write goes to the spool (<see cref="IncidentOptions.SpoolFile"/>) as well, after every failed flush and
/// at stop, so that neither a stop nor a kill before the database returns loses it; the next start delivers it before
/// anything else.</summary>
internal sealed class OutboxFlusher : IAsyncDisposable
{
    /// <summary>How often this instance looks for abandoned incidents.</summary>
    private static readonly TimeSpan AbandonCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long the last flush at stop may take: a stop must not hang on a database that does not answer.</summary>
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(5);

    private readonly IncidentOptions _options;
    private readonly IncidentStore _store;
    private readonly IncidentOutbox _outbox;
    private readonly IncidentSpool? _spool;
    private readonly string _instance;
    private readonly IIncidentFlushObserver _observer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // One flush at a time: the loop's, a test's and the last one on disposal would otherwise take the same batch apart.
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(IncidentHandle Handle, Guid Id)> _resolved = [];

    // What the last stop kept in the spool and the database has not taken yet, oldest first (under _flushGate).
    private readonly List<SpooledBatch> _spooled = [];
    private (int Entries, int Samples)? _spoolToDelete;

    // The spool holds a copy of what the outbox still holds (written after a failed flush): deleted once all is written.
    private bool _checkpointed;
    private bool _checkpointFailing;
    private Task? _loop;
    private bool _schemaReady;
    private bool _reattachChecked;
    private bool _flushFailing;
    private DateTimeOffset? _reachableSince;
    private DateTimeOffset _lastAbandonCheck = DateTimeOffset.MinValue;

    /// <summary>Creates a flusher.</summary>
    /// <param name="options">Reads the flush interval, the resolve delay (for liveness) and the postmortem directory.</param>
    /// <param name="store">Where the writes go.</param>
    /// <param name="outbox">What the tracker queued.</param>
    /// <param name="spool">Where what waits is kept across a stop; null keeps it in memory only.</param>
    /// <param name="instance">This instance's name.</param>
    /// <param name="observer">Told what the database decided.</param>
    /// <param name="timeProvider">The clock of the loop.</param>
    /// <param name="logger">The log (the tracker's category).</param>
    public OutboxFlusher(
        IncidentOptions options, IncidentStore store, IncidentOutbox outbox, IncidentSpool? spool, string instance, IIncidentFlushObserver observer,
        TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _store = store;
        _outbox = outbox;
        _spool = spool;
        _instance = instance;
        _observer = observer;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>An instance that leaves must not be counted as live by a peer resolving after it; one that stopped
    /// flushing (crashed, cut off) stops counting once its row has not been refreshed for twice the resolve delay.</summary>
    public TimeSpan Liveness => TimeSpan.FromTicks(Math.Max(2 * _options.ResolveAfter.Ticks, TimeSpan.FromSeconds(10).Ticks));

    /// <summary>Loads the spool the last stop left, prepares the tables, writes the spool and re-attaches to an incident
    /// still open in the database, then starts the loop. When the database is unreachable it logs and the loop keeps
    /// trying on every flush.</summary>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            return;
        }

        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            LoadSpool();
            await PrepareAsync(atStop: false, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (DatabaseUnavailable.Is(ex, out var reason))
            {
                IncidentLog.StartFailedDatabaseAway(_logger, reason);
            }
            else
            {
                IncidentLog.StartFailed(_logger, ex);
            }
        }
        finally
        {
            _flushGate.Release();
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
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

    /// <summary>One last flush attempt (at most <see cref="FinalFlushTimeout"/>); what it could not write goes to the
    /// spool, or is lost and logged without one. Then releases the loop's resources. Call after <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        Exception? failure;
        try
        {
            using var timeout = new CancellationTokenSource(FinalFlushTimeout);
            failure = await FlushCoreAsync(atStop: true, timeout.Token);
        }
        catch (OperationCanceledException ex)
        {
            failure = ex;
        }

        if (failure is not null)
        {
            KeepWhatWaits(failure);
        }

        _stopping.Dispose();
        _flushGate.Dispose();
    }

    /// <summary>Writes what the outbox holds in one transaction, then finishes stored resolutions (postmortem draft,
    /// <see cref="IIncidentFlushObserver.ResolutionStored"/>). On failure everything stays queued for the next flush.</summary>
    /// <returns>True when the database took everything.</returns>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken) => await FlushCoreAsync(atStop: false, cancellationToken) is null;

    /// <returns>Null when the database took everything, else why not (everything stays queued).</returns>
    private async Task<Exception?> FlushCoreAsync(bool atStop, CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            try
            {
                await PrepareAsync(atStop, cancellationToken);
                await CloseAbandonedAsync(cancellationToken);
                await WriteOutboxAsync(cancellationToken);
                await CompleteResolutionsAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _reachableSince = null;
                if (!_flushFailing && !atStop)
                {
                    // At stop there is no next flush: DisposeAsync says what becomes of what waits.
                    _flushFailing = true;
                    LogFlushFailed(ex);
                }

                if (!atStop)
                {
                    CheckpointWhatWaits();
                }

                return ex;
            }

            DeleteCheckpoint();

            if (_flushFailing)
            {
                _flushFailing = false;
                IncidentLog.FlushRecovered(_logger);
            }

            if (_outbox.TakeDroppedSamples() is > 0 and var dropped)
            {
                IncidentLog.SamplesDropped(_logger, dropped);
            }

            return null;
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private void LogFlushFailed(Exception exception)
    {
        var (entries, samples) = (_outbox.PendingOps + _spooled.Sum(s => s.Entries), _outbox.PendingSamples + _spooled.Sum(s => s.Samples));
        if (DatabaseUnavailable.Is(exception, out var reason))
        {
            IncidentLog.FlushFailedDatabaseAway(_logger, reason, entries, samples);
        }
        else
        {
            IncidentLog.FlushFailed(_logger, exception, entries, samples);
        }
    }

    /// <summary>Takes the outbox's batch; puts it back in front when the database does not take it.</summary>
    private async Task WriteOutboxAsync(CancellationToken cancellationToken)
    {
        var batch = _outbox.Take();
        if (batch.IsEmpty)
        {
            return;
        }

        try
        {
            Apply(await _store.ApplyAsync(batch, _instance, Liveness, cancellationToken));
        }
        catch
        {
            _outbox.Return(batch);
            throw;
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

    /// <summary>The tables, then the spool, then the incident to re-attach to, each once. The spool goes first: an
    /// incident the last instance left open during the outage is in the database only then, and this instance
    /// re-attaches to it and resolves it once healthy, as after any restart.</summary>
    private async Task PrepareAsync(bool atStop, CancellationToken cancellationToken)
    {
        if (!_schemaReady)
        {
            await _store.EnsureSchemaAsync(cancellationToken);
            _schemaReady = true;
        }

        await DeliverSpooledAsync(cancellationToken);

        // A stopping instance has left its incident already: re-attaching now would put it back in.
        if (!_reattachChecked && !atStop)
        {
            var open = await _store.FindOpenAsync(cancellationToken);
            if (open is not null)
            {
                var stored = await _store.LoadInstanceImpactAsync(open.Id, _instance, cancellationToken) ?? IncidentImpact.None;
                _observer.Reattach(open, stored);
            }

            _reattachChecked = true;
        }
    }

    /// <summary>Reads the spool the last stop wrote into <see cref="_spooled"/>; one it cannot read is moved aside.</summary>
    private void LoadSpool()
    {
        if (_spool is null)
        {
            return;
        }

        try
        {
            if (_spool.Load() is not { } loaded)
            {
                return;
            }

            _spooled.AddRange(loaded.Where(s => !s.Batch.IsEmpty));
            var (entries, samples) = (_spooled.Sum(s => s.Entries), _spooled.Sum(s => s.Samples));
            _spoolToDelete = (entries, samples);
            var instances = string.Join(", ", loaded.Select(s => s.Instance).Distinct(StringComparer.Ordinal));
            IncidentLog.SpoolLoaded(_logger, _spool.Path, entries, samples, instances);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Never half delivered and never in the way of the start: kept beside it for an operator to read.
            try
            {
                IncidentLog.SpoolUnreadable(_logger, _spool.Path, ex.Message, _spool.MoveAside("unreadable"));
            }
            catch (Exception moving) when (moving is IOException or UnauthorizedAccessException)
            {
                IncidentLog.SpoolNotMovedAside(_logger, _spool.Path, ex.Message, moving.Message);
            }
        }
    }

    /// <summary>Writes what the spool held, each instance's writes as that instance (its impact rows, its timeline
    /// entries), then deletes the file. A crash between the two delivers it again at the next start, which stores
    /// nothing twice: every write is idempotent by its ids.</summary>
    private async Task DeliverSpooledAsync(CancellationToken cancellationToken)
    {
        while (_spooled.Count > 0)
        {
            var spooled = _spooled[0];
            try
            {
                Apply(await _store.ApplyAsync(spooled.Batch, spooled.Instance, Liveness, cancellationToken));
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal))
            {
                // The database answered and refused the data (its incident deleted meanwhile, a value out of range):
                // every retry would too, and the writes queued since must not wait behind it for ever.
                RefuseSpool(ex);
                return;
            }

            _spooled.RemoveAt(0);
        }

        if (_spool is null || _spoolToDelete is not var (entries, samples))
        {
            return;
        }

        _spoolToDelete = null;
        try
        {
            _spool.Delete();
            IncidentLog.SpoolDelivered(_logger, entries, samples, _spool.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            IncidentLog.SpoolNotDeleted(_logger, _spool.Path, ex.Message);
        }
    }

    private void RefuseSpool(PostgresException refusal)
    {
        _spooled.Clear();
        _spoolToDelete = null;
        if (_spool is null)
        {
            return;
        }

        try
        {
            IncidentLog.SpoolRefused(_logger, refusal, _spool.Path, _spool.MoveAside("refused"));
        }
        catch (Exception moving) when (moving is IOException or UnauthorizedAccessException)
        {
            IncidentLog.SpoolNotMovedAside(_logger, _spool.Path, refusal.MessageText, moving.Message);
        }
    }

    /// <summary>After a flush the database did not take: a copy of what waits (the spool not yet delivered, then the
    /// outbox, which keeps it too) goes to the spool now rather than only at stop, so that a process killed before the
    /// database returns (kill -9, the OOM killer) loses nothing either. Rewritten after every failed flush, and deleted
    /// once a flush has written everything; a crash in between delivers it again at the next start, which stores nothing
    /// twice.</summary>
    private void CheckpointWhatWaits()
    {
        if (_spool is null)
        {
            return;
        }

        var waiting = new List<SpooledBatch>(_spooled);
        if (_outbox.Snapshot() is { IsEmpty: false } queued)
        {
            waiting.Add(new SpooledBatch(_instance, queued));
        }

        if (waiting.Count == 0)
        {
            return;
        }

        try
        {
            _spool.Write(_instance, waiting);
            _checkpointed = true;
            _checkpointFailing = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (!_checkpointFailing)
            {
                _checkpointFailing = true;
                IncidentLog.CheckpointFailed(_logger, _spool.Path, waiting.Sum(w => w.Entries), waiting.Sum(w => w.Samples), ex.Message);
            }
        }
    }

    /// <summary>After a flush that wrote everything: the spool's copy is in the database now.</summary>
    private void DeleteCheckpoint()
    {
        if (!_checkpointed || _spool is null || _spooled.Count > 0)
        {
            return;
        }

        _checkpointed = false;
        try
        {
            _spool.Delete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            IncidentLog.SpoolNotDeleted(_logger, _spool.Path, ex.Message);
        }
    }

    /// <summary>After the last flush failed: writes what waits (the spool not yet delivered, then the outbox) to the
    /// spool, or says how much is lost without one.</summary>
    private void KeepWhatWaits(Exception failure)
    {
        var waiting = new List<SpooledBatch>(_spooled);
        if (_outbox.Take() is { IsEmpty: false } queued)
        {
            waiting.Add(new SpooledBatch(_instance, queued));
        }

        if (waiting.Count == 0)
        {
            return; // the writes went through; what failed came after them (a resolution's report)
        }

        var (entries, samples) = (waiting.Sum(w => w.Entries), waiting.Sum(w => w.Samples));
        string reason;
        if (failure is OperationCanceledException)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"the database did not answer within {FinalFlushTimeout.TotalSeconds:0} s");
        }
        else if (DatabaseUnavailable.Is(failure, out var unavailable))
        {
            reason = $"the database is unavailable ({unavailable})";
        }
        else
        {
            IncidentLog.FinalFlushFailed(_logger, failure);
            reason = failure.Message;
        }

        if (_spool is null)
        {
            IncidentLog.OutboxLost(_logger, reason, entries, samples);
            return;
        }

        try
        {
            _spool.Write(_instance, waiting);
            IncidentLog.Spooled(_logger, reason, entries, samples, _spool.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            IncidentLog.SpoolWriteFailed(_logger, ex, _spool.Path, entries, samples);
        }
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
