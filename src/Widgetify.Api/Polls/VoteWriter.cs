using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Widgetify.Api.Embed.Caching;
using Widgetify.Core.Database;
using Widgetify.Observability.Database;

namespace Widgetify.Api.Polls;

/// <summary>Group commit of votes. A vote is a promise to a visitor, so unlike a view (buffered, see
/// <see cref="Embed.ViewCounter"/>) it is acknowledged only once committed; a commit per vote would make a viral poll a
/// commit (and a WAL flush) per request. Instead one loop takes every vote pending (up to
/// <see cref="PollOptions.MaxBatchSize"/>) every <see cref="PollOptions.BatchWindow"/>, writes them in one transaction
/// (<see cref="PollStore.WriteBatchAsync"/>) and completes each vote's task after the COMMIT.</summary>
/// <remarks>The batch takes its connection from the request pool, inside this instance's share of the connection budget,
/// like <see cref="Embed.ViewCountFlusher"/>; unlike it, it does not ask admission control for a slot: the votes'
/// own requests were admitted and hold their slots while they wait for the batch, so a second admission would count
/// them twice and, with every slot held by a waiting vote, could never be granted.</remarks>
internal sealed partial class VoteWriter : BackgroundService
{
    private readonly Channel<PendingVote> _queue;
    private readonly PollStore _store;
    private readonly DatabaseWriteFailures _writeFailures;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<VoteWriter> _logger;
    private readonly TimeSpan _window;
    private readonly int _maxBatch;
    private readonly CancellationTokenSource _abandon = new();
    private long _batches;
    private long _votes;
    private int _largestBatch;

    private readonly EmbedCache? _embeds;

    /// <param name="store">Where batches are written.</param>
    /// <param name="writeFailures">Records a batch's failure for the writes health check.</param>
    /// <param name="timeProvider">Paces the batch window.</param>
    /// <param name="options">The batch window and sizes.</param>
    /// <param name="logger">Logs failed batches.</param>
    /// <param name="embeds">Told of the polls a committed batch counted votes on, before the votes are acknowledged, so this
    /// instance's next embed of them shows the new totals (the others hear the batch's notification, migration 0006).</param>
    public VoteWriter(
        PollStore store, DatabaseWriteFailures writeFailures, TimeProvider timeProvider, IOptions<WidgetifyOptions> options, ILogger<VoteWriter> logger,
        EmbedCache? embeds = null)
    {
        _embeds = embeds;
        var polls = options.Value.Polls;
        _window = polls.BatchWindow;
        _maxBatch = polls.MaxBatchSize;
        _queue = Channel.CreateBounded<PendingVote>(new BoundedChannelOptions(polls.MaxQueuedVotes)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: a full queue refuses at once
        });
        _store = store;
        _writeFailures = writeFailures;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Queues a vote for the next batch; false when the queue is full or the service is stopping (the caller
    /// answers 503 with Retry-After: shed, not queued forever).</summary>
    public bool TrySubmit(PendingVote vote) => _queue.Writer.TryWrite(vote);

    /// <summary>Batches committed, votes in them (duplicates included) and the largest batch, since start.</summary>
    public (long Batches, long Votes, int LargestBatch) GetStatistics() =>
        (Interlocked.Read(ref _batches), Interlocked.Read(ref _votes), Volatile.Read(ref _largestBatch));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var batch = new List<PendingVote>(Math.Min(_maxBatch, 4096));
        // Not cancelled by stoppingToken: at stop the queue is closed and this loop drains it before it ends.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            if (_window > TimeSpan.Zero && !stoppingToken.IsCancellationRequested && reader.Count < _maxBatch)
            {
                try
                {
                    await Task.Delay(_window, _timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: write what is there now.
                }
            }

            while (batch.Count < _maxBatch && reader.TryRead(out var vote))
            {
                batch.Add(vote);
            }

            await WriteAsync(batch);
            batch.Clear();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Kestrel has drained by now, so no request is left to submit a vote; the ones queued are written before the
        // loop ends. If the host's shutdown timeout runs out first, the batch in flight is abandoned and its votes fail
        // (their requests are gone anyway): acknowledged still means committed.
        _queue.Writer.TryComplete();
        await using (cancellationToken.Register(_abandon.Cancel))
        {
            await base.StopAsync(cancellationToken);
        }
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }

    private async Task WriteAsync(List<PendingVote> batch)
    {
        // One row per (poll, visitor) in a statement: a visitor's double submission inside one window counts once.
        var first = new Dictionary<(Guid, string), PendingVote>();
        foreach (var vote in batch)
        {
            first.TryAdd((vote.PollId, vote.Visitor), vote);
        }

        try
        {
            var written = await _store.WriteBatchAsync([.. first.Values], _timeProvider.GetUtcNow(), _abandon.Token);
            foreach (var pollId in written.Counted.Select(c => c.PollId).Distinct())
            {
                _embeds?.Invalidate(pollId, null, "votes");
            }

            foreach (var vote in batch)
            {
                vote.Complete(
                    written.GonePolls.Contains(vote.PollId) ? VoteOutcome.PollGone
                    : written.OptionGone.Contains((vote.PollId, vote.Visitor)) ? VoteOutcome.OptionGone
                    : ReferenceEquals(first[(vote.PollId, vote.Visitor)], vote) && written.Counted.Contains((vote.PollId, vote.Visitor)) ? VoteOutcome.Counted
                    : VoteOutcome.AlreadyVoted);
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _votes, batch.Count);
            if (batch.Count > Volatile.Read(ref _largestBatch))
            {
                Volatile.Write(ref _largestBatch, batch.Count); // one writer: no race
            }
        }
        catch (Exception ex)
        {
            // Whatever went wrong, every vote of the batch is answered: a request must never wait for an answer that
            // will not come, and a vote that is not known to be committed is never acknowledged.
            _writeFailures.Record(ex);
            var why = DatabaseUnavailable.Is(ex, out var reason) ? reason : ex.Message;
            LogBatchFailed(_logger, batch.Count, why ?? ex.GetType().Name);
            var failure = new VoteNotRecordedException("The vote could not be recorded: the database did not accept it. Send it again in a moment; it will count once.", ex);
            foreach (var vote in batch)
            {
                vote.Fail(failure);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Votes} votes was not committed; each was answered 503: {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, int votes, string reason);
}
