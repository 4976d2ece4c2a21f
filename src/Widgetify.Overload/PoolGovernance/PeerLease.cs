namespace Widgetify.Overload.PoolGovernance;

/// <summary>Another live instance's lease as the table records it.</summary>
/// <param name="InstanceId">The instance's lease key.</param>
/// <param name="Wanted">Its configured Max Pool Size.</param>
/// <param name="Granted">Connections it may hold, or holds if more (it never records less than it holds).</param>
internal readonly record struct PeerLease(Guid InstanceId, int Wanted, int Granted);
