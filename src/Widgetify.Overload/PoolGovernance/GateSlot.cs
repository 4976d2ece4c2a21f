using System.Data;
using Npgsql;

namespace Widgetify.Overload.PoolGovernance;

/// <summary>One connection's hold on the gate, given back exactly once, when the connection closes or breaks. Npgsql
/// raises no Disposed event (it throws on subscription), but disposing an open connection closes it first, so
/// StateChange sees every way a connection ends.</summary>
internal sealed class GateSlot
{
    private readonly ConnectionGate gate;
    private readonly NpgsqlConnection connection;
    private readonly Action<long>? onReleased;
    private readonly long openedAt;
    private int released;

    /// <summary>Watches a connection that already holds a slot of the gate.</summary>
    /// <param name="gate">The gate the slot belongs to.</param>
    /// <param name="connection">The open connection holding the slot.</param>
    /// <param name="openedAt">When it was opened, as a <see cref="TimeProvider"/> timestamp.</param>
    /// <param name="onReleased">Called once on release with <paramref name="openedAt"/>.</param>
    public GateSlot(ConnectionGate gate, NpgsqlConnection connection, long openedAt, Action<long>? onReleased)
    {
        this.gate = gate;
        this.connection = connection;
        this.openedAt = openedAt;
        this.onReleased = onReleased;
        connection.StateChange += OnStateChange;

        // A connection that broke before we subscribed raised its StateChange already.
        if (connection.State is ConnectionState.Closed or ConnectionState.Broken)
        {
            Release();
        }
    }

    /// <summary>Gives the slot back unless that was done already.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref released, 1) != 0)
        {
            return;
        }

        connection.StateChange -= OnStateChange;
        gate.Release();
        onReleased?.Invoke(openedAt);
    }

    private void OnStateChange(object? sender, StateChangeEventArgs e)
    {
        if (e.CurrentState is ConnectionState.Closed or ConnectionState.Broken)
        {
            Release();
        }
    }
}
