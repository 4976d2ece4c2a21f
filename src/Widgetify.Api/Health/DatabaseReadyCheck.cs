using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Core.Database;
using Widgetify.Core.Deadlines;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Api.Health;

/// <summary>Ready means: the database answers and has every migration this build needs.</summary>
internal sealed partial class DatabaseReadyCheck(WidgetifyDataSources dataSources, PoolGovernor governor, ILogger<DatabaseReadyCheck> logger)
    : IHealthCheck
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (governor.Current.Share == 0)
        {
            // Without a share the probe's connection would wait for one until the budget ran out, and then read as a
            // database that did not answer. The connection check beside this one says why there is no share.
            return HealthCheckResult.Unhealthy(
                "Not probed: this instance holds no connection share to probe the database with (see the connections check).");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Budget);
        try
        {
            // Detached: a PostgreSQL that stops answering (frozen, or cut off) also ignores Npgsql's cancel request, which
            // held this probe, and the balancer's check with it, for 10 to 17 s instead of the budget.
            var applied = await DetachedCancellation.RunAsync(ReadSchemaVersionAsync, timeout.Token);
            var data = new Dictionary<string, object>
            {
                ["schemaVersion"] = applied,
                ["requiredSchemaVersion"] = MigrationRunner.LatestVersion,
            };
            return applied >= MigrationRunner.LatestVersion
                ? HealthCheckResult.Healthy("Database reachable, migrations applied.", data)
                : HealthCheckResult.Unhealthy($"Database schema is at version {applied}, this build needs {MigrationRunner.LatestVersion}: migrations have not been applied.", data: data);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return HealthCheckResult.Unhealthy("Database reachable but not migrated (no schema_migrations table).");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // The probe's body is served to whoever can reach /health/ready (a balancer, but not only): Npgsql's message
            // names the host and port, so the body says what happened in general terms and the log gets the rest.
            LogUnreachable(logger, DatabaseUnavailable.Is(ex, out var why) ? why : ex.Message);
            return HealthCheckResult.Unhealthy(ex is TimeoutException or OperationCanceledException or NpgsqlException { InnerException: TimeoutException }
                ? "Database unreachable: no answer within the readiness budget. The service log has the reason."
                : "Database unreachable: the connection failed. The service log has the reason.");
        }
    }

    private async Task<int> ReadSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.OpenPrimaryAsync(cancellationToken);
        await using var command = connection.CreateCommand("SELECT coalesce(max(version), 0) FROM schema_migrations");
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: the database is unreachable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string reason);
}
