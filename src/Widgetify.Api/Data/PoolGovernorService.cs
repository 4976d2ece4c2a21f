namespace Widgetify.Api.Data;

/// <summary>Ties the connection lease to the host's lifetime. It is registered before the view-count flusher, so it
/// stops after it: the last flush still holds a lease.</summary>
internal sealed class PoolGovernorService(ConnectionShareWiring wiring) : IHostedService
{
    // A no-op when MigrateDatabaseAsync already took the lease.
    public Task StartAsync(CancellationToken cancellationToken) => wiring.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => wiring.StopAsync(cancellationToken);
}
