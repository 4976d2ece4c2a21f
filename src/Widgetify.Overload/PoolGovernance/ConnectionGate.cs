using System.Diagnostics;
using Npgsql;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>An async semaphore whose limit can change while it is held: the share of the connection budget this
/// instance may use. Waiters are served first come, first served.</summary>
internal sealed class ConnectionGate
{
    private readonly Lock sync = new();
    private readonly LinkedList<TaskCompletionSource> waiters = new();
    private int held;
    private int limit;

    /// <summary>Creates a gate.</summary>
    /// <param name="limit">How many may hold it at once; 0 admits nobody.</param>
    public ConnectionGate(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        this.limit = limit;
    }

    /// <summary>How many hold the gate now; may exceed <see cref="Limit"/> right after it was lowered.</summary>
    public int Held
    {
        get
        {
            lock (sync)
            {
                return held;
            }
        }
    }

    /// <summary>How many wait for the gate.</summary>
    public int Waiting
    {
        get
        {
            lock (sync)
            {
                return waiters.Count;
            }
        }
    }

    /// <summary>How many may hold the gate at once.</summary>
    public int Limit
    {
        get
        {
            lock (sync)
            {
                return limit;
            }
        }
    }

    /// <summary>Opens a connection from <paramref name="pool"/> for a slot of this gate the caller already holds; if the
    /// open fails, the slot goes back, or a failed open would shrink the share for good. Attach a <see cref="GateSlot"/>
    /// to the returned connection so that the slot is given back when it closes.</summary>
    public async ValueTask<NpgsqlConnection> OpenHeldAsync(NpgsqlDataSource pool, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = pool.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            Release();
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Takes the gate if it is free and nobody waits for it.</summary>
    /// <returns>True when taken: the caller must <see cref="Release"/> it.</returns>
    public bool TryAcquire()
    {
        lock (sync)
        {
            // Never overtake a waiter, even when a slot is free: FIFO keeps a busy caller from starving the queue.
            if (waiters.Count > 0 || held >= limit)
            {
                return false;
            }

            held++;
            return true;
        }
    }

    /// <summary>Takes the gate, waiting in line when it is full.</summary>
    /// <param name="cancellationToken">Gives up waiting; a caller that gave up holds nothing.</param>
    /// <returns>Completes once the caller holds the gate and must <see cref="Release"/> it.</returns>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (TryAcquire())
        {
            return ValueTask.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // Continuations run elsewhere, so admitting a waiter inside Release never runs the waiter's code on the
        // releasing thread; the task itself completes at once, so Held and the task agree immediately.
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LinkedListNode<TaskCompletionSource> node;
        lock (sync)
        {
            // Re-check under the lock: a slot may have been freed since TryAcquire.
            if (waiters.Count == 0 && held < limit)
            {
                held++;
                return ValueTask.CompletedTask;
            }

            node = waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.UnsafeRegister(static (state, token) => ((CancelState)state!).Cancel(token), new CancelState(this, node));

            // Only the waiting side touches the registration, so admission (under the lock, elsewhere) never races with it.
            _ = waiter.Task.ContinueWith(
                static (_, state) => ((CancellationTokenRegistration)state!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return new ValueTask(waiter.Task);
    }

    /// <summary>Gives the gate back and lets the next waiters in while there is room.</summary>
    public void Release()
    {
        List<TaskCompletionSource>? granted;
        lock (sync)
        {
            Debug.Assert(held > 0, "Release without a matching acquire.");
            held--;
            granted = AdmitWaiters();
        }

        Complete(granted);
    }

    /// <summary>Changes the limit. Lowering it below <see cref="Held"/> takes nothing away: nobody new gets in until
    /// enough holders have released. Raising it lets waiters in.</summary>
    /// <param name="newLimit">The new limit, 0 or more.</param>
    public void SetLimit(int newLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newLimit);
        List<TaskCompletionSource>? granted;
        lock (sync)
        {
            limit = newLimit;
            granted = AdmitWaiters();
        }

        Complete(granted);
    }

    private static void Complete(List<TaskCompletionSource>? granted)
    {
        foreach (var waiter in granted ?? [])
        {
            waiter.TrySetResult();
        }
    }

    private void Cancel(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        lock (sync)
        {
            // A waiter already admitted has left the list and holds the gate: its caller gets the slot, not a cancellation.
            if (node.List is null)
            {
                return;
            }

            waiters.Remove(node);
        }

        node.Value.TrySetCanceled(cancellationToken);
    }

    private List<TaskCompletionSource>? AdmitWaiters()
    {
        List<TaskCompletionSource>? granted = null;
        while (held < limit && waiters.First is { } first)
        {
            waiters.RemoveFirst();
            held++;
            (granted ??= []).Add(first.Value);
        }

        return granted;
    }

    private sealed record CancelState(ConnectionGate Gate, LinkedListNode<TaskCompletionSource> Node)
    {
        public void Cancel(CancellationToken cancellationToken) => Gate.Cancel(Node, cancellationToken);
    }
}
