using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Widgetify.Api.Data;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Administration;

/// <summary>The database as an operator command uses it, like psql: one connection of the ones kept for other clients,
/// no share of the connection budget, migrated first so the command never meets an older schema.</summary>
internal sealed class OneOffDatabase : IAsyncDisposable
{
    private readonly PoolGovernor _governor;

    private OneOffDatabase(PoolGovernor governor, WidgetifyDataSources dataSources)
    {
        _governor = governor;
        DataSources = dataSources;
    }

    public WidgetifyDataSources DataSources { get; }

    public static async Task<OneOffDatabase> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var options = new WidgetifyOptions
        {
            Database = { ConnectionString = connectionString, ApplicationName = "widgetify-keys-cli", MaxPoolSize = 1 },
            ConnectionBudget = { Enabled = false },
        };
        var governor = WidgetifyDataSources.CreateGovernor(options, TimeProvider.System, NullLoggerFactory.Instance);
        var dataSources = new WidgetifyDataSources(Options.Create(options), governor, NullLoggerFactory.Instance);
        var database = new OneOffDatabase(governor, dataSources);
        try
        {
            await new MigrationRunner(dataSources.Control, NullLogger<MigrationRunner>.Instance).MigrateAsync(cancellationToken);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSources.DisposeAsync();
        await _governor.DisposeAsync();
    }
}
