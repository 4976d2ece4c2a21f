using System.Globalization;
using Widgetify.Incidents.Postmortems;
using Widgetify.Incidents.Timeline;

namespace Widgetify.Incidents;

public sealed partial class IncidentTracker
{
    /// <summary>Writes what the outbox holds in one transaction, then finishes stored resolutions (postmortem draft,
    /// <see cref="Resolved"/>). On failure everything stays queued for the next flush.</summary>
    /// <returns>True when the database took everything.</returns>
    /// <summary>Resolves incidents nobody reports on any more (<see cref="IncidentStore.CloseAbandonedAsync(TimeSpan, CancellationToken)"/>), every
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

    internal async Task<bool> FlushAsync(CancellationToken cancellationToken)
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
                    var (ops, samples) = Pending;
                    IncidentLog.FlushFailed(_logger, ex, ops, samples);
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

    private void Apply(FlushResult result)
    {
        foreach (var opened in result.Opened)
        {
            lock (_lock)
            {
                opened.Handle.Id = opened.Id;
                opened.Handle.Joined = opened.Joined;
                if (_open?.Handle == opened.Handle)
                {
                    _open.Stored = opened.StoredImpact;
                }
            }

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

            IncidentLog.Resolved(_logger, id, incident.ResolvedAt, incident.Impact.FailedOrShedPercent, incident.Impact.Requests, incident.Impact.ClientsAffectedPercent);
            try
            {
                Resolved?.Invoke(this, incident);
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
