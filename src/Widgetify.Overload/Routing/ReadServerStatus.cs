namespace Widgetify.Overload.Routing;

/// <summary>A database server as the router sees it now (one entry of <c>GET /api/scaling</c>'s <c>servers</c>).</summary>
/// <param name="Name">The server's name (<c>primary</c>, or the standby's).</param>
/// <param name="Role"><c>primary</c> or <c>standby</c>.</param>
/// <param name="Host">Host it is reached on.</param>
/// <param name="Port">Port it is reached on.</param>
/// <param name="State">Its place in the read rotation; the primary is <see cref="ReadServerState.Ready"/> while this
/// instance reaches it.</param>
/// <param name="Lag">How far behind the primary it is (none for the primary).</param>
/// <param name="ReadsServed">Reads this instance has routed to it and that completed there.</param>
/// <param name="InFlight">Reads of this instance running there now.</param>
/// <param name="Share">Connections of it this instance may use.</param>
/// <param name="Problem">Why it is out of rotation, if it is.</param>
public sealed record ReadServerStatus(
    string Name, string Role, string Host, int Port, ReadServerState State, ReplicationLag Lag, long ReadsServed, int InFlight,
    int Share, string? Problem)
{
    /// <summary>Reads of this instance waiting for one of its <see cref="Share"/> connections there.</summary>
    public int Waiting { get; init; }
}
