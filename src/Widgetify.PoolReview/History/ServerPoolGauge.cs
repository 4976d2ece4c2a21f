namespace Widgetify.PoolReview.History;

/// <summary>This instance's pool on one database server other than the primary, as it is now.</summary>
/// <param name="Name">The server's name (the standby's); unique among the servers, never <see cref="PoolHistory.PrimaryServer"/>.</param>
/// <param name="InUse">Connections to it this instance holds now.</param>
/// <param name="Waiting">Callers of this instance waiting for one of those connections.</param>
/// <param name="Share">Connections to it this instance may hold.</param>
/// <param name="Served">Uses of its connections that completed since this instance began using it: a counter, of which the
/// history records the increase each minute (a counter that went down, a server re-added, counts from zero).</param>
public sealed record ServerPoolGauge(string Name, int InUse, int Waiting, int Share, long Served);
