namespace Widgetify.Overload.PoolGovernance;

/// <summary>How long an open may wait for this instance's connection share, and what ends the wait. A request's wait
/// derives from its deadline: it waits at most the time the request has left, or the pool's 'Timeout' if that is
/// shorter, so no wait outlives the request and whichever bound ends it is the one its error names.</summary>
/// <param name="Limit">The longest wait; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
/// <param name="EndsAtDeadline">Whether the request's deadline, not the pool's 'Timeout', is the bound.</param>
internal readonly record struct ShareWait(TimeSpan Limit, bool EndsAtDeadline)
{
    /// <summary>The wait of an open.</summary>
    /// <param name="poolTimeout">The pool's 'Timeout'; zero or less means none (Npgsql's 'Timeout=0').</param>
    /// <param name="timeLeft">What the request has left of its budget, or null outside a request (background work).</param>
    public static ShareWait Derive(TimeSpan poolTimeout, TimeSpan? timeLeft)
    {
        var poolBound = poolTimeout > TimeSpan.Zero ? poolTimeout : Timeout.InfiniteTimeSpan;
        if (timeLeft is { } left && (poolBound == Timeout.InfiniteTimeSpan || left <= poolBound))
        {
            // At a tie the deadline wins: it fires at that instant anyway, and the request's answer is the deadline's.
            return new ShareWait(left > TimeSpan.Zero ? left : TimeSpan.Zero, EndsAtDeadline: true);
        }

        return new ShareWait(poolBound, EndsAtDeadline: false);
    }
}
