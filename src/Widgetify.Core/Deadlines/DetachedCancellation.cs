namespace Widgetify.Core.Deadlines;

/// <summary>Runs database work so that its caller stops waiting within <see cref="Grace"/> of its token firing, however
/// long the work takes to notice. Npgsql acts on a cancelled token inside the token's callback, synchronously: it opens a new connection,
/// sends PostgreSQL a cancel request and blocks until the server hangs up, then gives the query
/// <c>Cancellation Timeout</c> more. Against a server that does not answer (SIGSTOPped, or cut off by the network) that
/// took 14 to 19 s past a 2 s deadline (docs/benchmarks.md, "A database that stops answering"), and since every callback
/// of a token runs on the thread that cancels it, one after the other, a wait on the same token could not end before
/// Npgsql's cancel did. So the work gets a token of its own, cancelled from another thread when the caller's fires, and
/// the caller's wait is on the caller's token alone. The abandoned work ends by itself (Npgsql breaks the connection)
/// and gives its connection back; what it throws then is observed here, not left unobserved. The cost when nothing is
/// cancelled: a token source, a registration and a continuation per call, against a database round trip.</summary>
public static class DetachedCancellation
{
    /// <summary>How long, once the caller's token has fired, the work may take to end by itself before the caller stops
    /// waiting: a cancelled wait for a connection ends within microseconds, a healthy PostgreSQL answers a cancel request
    /// within milliseconds; one that has not in 250 ms is taken as not answering.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(250);

    /// <summary>Starts <paramref name="work"/> and waits for it until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="work">Database work that takes the token it is given; it must not touch the request (an
    /// <c>HttpContext</c> may be reused once the caller has answered).</param>
    /// <param name="cancellationToken">The caller's token (a request's deadline or its client going away).</param>
    /// <exception cref="OperationCanceledException">The caller's token fired first.</exception>
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!cancellationToken.CanBeCanceled)
        {
            return await work(cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var detached = new CancellationTokenSource();
        Task<T> running;
        try
        {
            running = work(detached.Token);
        }
        catch
        {
            detached.Dispose();
            throw;
        }

        if (running.IsCompleted)
        {
            detached.Dispose();
            return await running;
        }

        // The forwarding registration and the work's source live until the work is over, not until the caller stops
        // waiting: the caller's wait can end (its own registration on the same token runs first) before this registration
        // has run, and disposing it then would leave the work uncancelled, running on in PostgreSQL until its command
        // timeout. The source is disposed only once the work is over, since Npgsql's registration on it may still run.
        var forward = cancellationToken.UnsafeRegister(
            static state => ThreadPool.UnsafeQueueUserWorkItem(CancelDetached, (CancellationTokenSource)state!, preferLocal: false), detached);
        _ = running.ContinueWith(
            static (t, state) =>
            {
                _ = t.Exception; // observed: work abandoned at the deadline may fail later, and nobody awaits it then
                var (registration, source) = ((CancellationTokenRegistration, CancellationTokenSource))state!;
                registration.Dispose();
                source.Dispose();
            },
            (forward, detached), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            return await running.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The work was cancelled too, and nearly always ends at once with an exception of its own that says what it was
            // waiting for (a connection share the deadline ended: the 503 names it). It gets Grace to do so; past that the
            // server is not answering Npgsql's cancel request, and the caller stops waiting.
            try
            {
                return await running.WaitAsync(Grace, CancellationToken.None);
            }
            catch (TimeoutException)
            {
            }

            throw;
        }
    }

    private static void CancelDetached(CancellationTokenSource detached)
    {
        try
        {
            detached.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The work ended (and its source was disposed) between the caller's cancellation and this.
        }
    }
}
