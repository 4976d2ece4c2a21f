namespace Widgetify.Api.Polls;

/// <summary>What became of a submitted vote, known only once its batch committed (or failed).</summary>
internal enum VoteOutcome
{
    /// <summary>Committed: it counts.</summary>
    Counted,

    /// <summary>This visitor had already voted on this poll (a retry, a second submission): it counts once.</summary>
    AlreadyVoted,

    /// <summary>The poll was deleted before the vote was written.</summary>
    PollGone,

    /// <summary>The poll's owner removed the option (the poll has fewer options now) before the vote was written: not counted.</summary>
    OptionGone,
}

/// <summary>A visitor's vote waiting for its batch.</summary>
internal sealed class PendingVote(Guid pollId, string visitor, int option)
{
    private readonly TaskCompletionSource<VoteOutcome> _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Guid PollId { get; } = pollId;

    public string Visitor { get; } = visitor;

    public int Option { get; } = option;

    /// <summary>Completes after the batch's COMMIT; faults with <see cref="VoteNotRecordedException"/> when it failed.</summary>
    public Task<VoteOutcome> Written => _written.Task;

    public void Complete(VoteOutcome outcome) => _written.TrySetResult(outcome);

    public void Fail(Exception reason) => _written.TrySetException(reason);
}

/// <summary>A vote's batch was not committed: the vote is not counted and the visitor should retry (a retry that
/// did count after all, if the commit's answer was what got lost, counts once).</summary>
internal sealed class VoteNotRecordedException(string message, Exception? inner = null) : Exception(message, inner);
