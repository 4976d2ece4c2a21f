namespace Widgetify.Overload.PoolGovernance;

/// <summary>Turns the budget and the live leases into this instance's share. Pure, so it is tested without a server.</summary>
internal static class SharePlanner
{
    /// <summary>Connections every instance holds outside its request pool: the control connection (leases, the
    /// monitoring query, incidents) and the notification listener (a LISTEN session, which pins its connection for as
    /// long as it listens). Both count against the budget, or a fleet of N would open N more than it was granted.</summary>
    internal const int OwnConnectionsPerInstance = 2;

    /// <summary>Connections no share may use, so that the next instance to start can open its own connections (the
    /// control connection that registers the lease which makes the others shrink, and the listener its start opens)
    /// while its peers still hold their shares, without the fleet exceeding the budget. One seat would fit the control
    /// connection alone: the newcomer's listener would then be the budget's one connection too many.</summary>
    internal const int SeatsKeptForNewcomers = OwnConnectionsPerInstance;

    /// <summary>Computes this instance's target and share.</summary>
    /// <param name="budget">Connections the server allows the whole fleet.</param>
    /// <param name="self">This instance's id.</param>
    /// <param name="wanted">This instance's configured Max Pool Size.</param>
    /// <param name="peers">The other live leases.</param>
    /// <returns>The plan; its share never makes the sum of <c>granted + OwnConnectionsPerInstance</c> over all leases exceed the budget.</returns>
    public static SharePlan Plan(int budget, Guid self, int wanted, IReadOnlyList<PeerLease> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var everyone = peers.Select(p => (p.InstanceId, p.Wanted)).Append((self, wanted)).OrderBy(p => p.Item1).ToArray();
        var selfIndex = Array.FindIndex(everyone, p => p.Item1 == self);

        // Every instance pays its own connections, so only the rest is divided.
        var targets = FairShare.Allocate(
            budget - (everyone.Length * OwnConnectionsPerInstance) - SeatsKeptForNewcomers, [.. everyone.Select(p => p.Item2)]);
        var target = targets[selfIndex];

        // Peers shrink on their own heartbeat, not ours: until then only what they leave free may be taken.
        var peersCost = peers.Sum(p => p.Granted + OwnConnectionsPerInstance);
        var free = budget - SeatsKeptForNewcomers - peersCost - OwnConnectionsPerInstance;
        return new SharePlan(target, Math.Max(0, Math.Min(target, free)), everyone.Length);
    }
}
