using Npgsql;
using Widgetify.Incidents.Persistence;
using Widgetify.Overload.PoolGovernance;
using Widgetify.PoolReview;
using Widgetify.Scaling.Decisions;

namespace Widgetify.Api.Data;

/// <summary>The schema step when the service's role may only read and write rows (<see cref="DatabaseOptions.MigrationConnectionString"/>
/// is set): the migrations and every table a feature would otherwise create on first use, on the schema owner's
/// connection, so the objects are the owner's and the runtime role gets its row privileges by the owner's default
/// privileges. Each part is safe when several instances start at once.</summary>
internal static class OwnedSchema
{
    /// <returns>The number of migrations applied.</returns>
    public static async Task<int> ApplyAsync(string migrationConnectionString, ILogger<MigrationRunner> logger, CancellationToken cancellationToken)
    {
        await using var owner = NpgsqlDataSource.Create(migrationConnectionString);
        var applied = await new MigrationRunner(owner, logger).MigrateAsync(cancellationToken);
        await PoolGovernor.CreateLeaseTableAsync(owner, cancellationToken);
        await ScalingDecisionLog.CreateTablesAsync(owner, cancellationToken);
        await new IncidentStore(owner).EnsureSchemaAsync(cancellationToken);
        await PoolReviewTables.CreateAsync(owner, cancellationToken);
        return applied;
    }
}
