namespace Widgetify.Overload.PoolGovernance;

/// <summary>What a renewal reads under the lease lock.</summary>
/// <param name="Limits">The server's connection limits, read in the same transaction.</param>
/// <param name="Peers">The other live leases, expired ones already removed.</param>
/// <param name="Expired">How many expired leases this renewal removed.</param>
internal sealed record LeaseTableView(ServerConnectionLimits Limits, IReadOnlyList<PeerLease> Peers, int Expired);
