using Widgetify.Api.Administration;
using Widgetify.Api.Auth;
using Widgetify.Postgres;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Infrastructure;

/// <summary>A running embedded cluster (a copy of <see cref="ClusterTemplate"/>'s: these tests are of the verbs, not of
/// initdb), migrated as every verb migrates it first, for <see cref="KeysCommandTests"/> (shared by its tests) and for a test that needs a database of its own.</summary>
public sealed class KeysCluster : IAsyncLifetime, IAsyncDisposable
{
    private readonly TempDataDir _dataDir = new();
    private PostgresCluster? _cluster;

    public string DataDir => _dataDir.Path;

    public string AppConnectionString => (_cluster ?? throw new InvalidOperationException("not started")).AppConnectionString;

    public async Task InitializeAsync()
    {
        await ClusterTemplate.CopyIntoAsync(_dataDir.Path);
        _cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = _dataDir.Path, Durable = false });
        // What every verb does first (as the schema's owner), so that the keys made below have their tables.
        await WidgetifyAdministration.MigrateAsOwnerAsync(_cluster.MigrationConnectionString, CancellationToken.None);
    }

    /// <summary>A key made as 'keys create' makes it (the same library call), for a test of another verb.</summary>
    public Task<CreatedApiKey> MadeKeyAsync(string tenant, ApiKeyRole role = ApiKeyRole.Tenant) =>
        WidgetifyAdministration.CreateKeyAsync(AppConnectionString, tenant, role, expiresAt: null, CancellationToken.None);

    public async Task DisposeAsync()
    {
        try
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
        }
        finally
        {
            _dataDir.Dispose();
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();
}
