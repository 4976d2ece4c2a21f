using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Overload.AdmissionControl;
using Widgetify.PoolReview.History;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Api.Review;

/// <summary>What the service would run with against each server, from its bound <see cref="WidgetifyOptions"/> and the
/// configured standbys, as the data sources build their pools (<see cref="WidgetifyDataSources"/>).</summary>
internal static class ReviewedSettings
{
    /// <summary>The primary's settings, then each configured standby's, each with the connection string to reach it.</summary>
    /// <param name="options">The bound, validated settings.</param>
    /// <param name="configuredConnectionString">The primary's connection string as configured, whose keywords (Max Pool
    /// Size, lifetimes) count; the review may reach the server through another (<c>--database-url</c>).</param>
    /// <param name="replicas">The configured standbys (<see cref="ConfiguredReplicas"/>).</param>
    public static IReadOnlyList<(ServerSettings Settings, string ConnectionString)> Of(
        WidgetifyOptions options, string configuredConnectionString, IReadOnlyList<(string Name, string ConnectionString)> replicas)
    {
        var database = options.Database;
        var primary = new NpgsqlConnectionStringBuilder(configuredConnectionString);
        var servers = new List<(ServerSettings, string)>
        {
            (new ServerSettings
            {
                Server = PoolHistory.PrimaryServer,
                MaxPoolSize = WidgetifyDataSources.ConfiguredMaxPoolSize(new DatabaseOptions { ConnectionString = configuredConnectionString, MaxPoolSize = database.MaxPoolSize }),
                MaxPoolSizeSetting = database.MaxPoolSize is null && WidgetifyDataSources.GivenMaxPoolSize(configuredConnectionString) is not null
                    ? "Database:ConnectionString (Max Pool Size)"
                    : "Database:MaxPoolSize",
                BudgetEnforced = options.ConnectionBudget.Enabled,
                ReservedForOtherClients = options.ConnectionBudget.ReservedForOtherClients,
                ReservedForOtherClientsSetting = "ConnectionBudget:ReservedForOtherClients",
                ConnectTimeoutSeconds = database.ConnectTimeoutSeconds,
                CommandTimeoutSeconds = database.CommandTimeoutSeconds,
                ConnectionLifetimeSeconds = primary.ConnectionLifetime,
                ConnectionIdleLifetimeSeconds = primary.ConnectionIdleLifetime,
                ConnectionStringSetting = "Database:ConnectionString",
            }, database.ConnectionString),
        };

        foreach (var ((name, connectionString), index) in replicas.Select((r, i) => (r, i)))
        {
            // A standby's pool is bounded by its gate, whose limit follows the standby's own budget; only a Max Pool Size
            // written in its connection string asks for a fixed size (ReadServer).
            var standby = new NpgsqlConnectionStringBuilder(connectionString);
            var setting = $"Database:Replicas:{index}:ConnectionString";
            servers.Add((new ServerSettings
            {
                Server = name,
                MaxPoolSize = WidgetifyDataSources.GivenMaxPoolSize(connectionString),
                MaxPoolSizeSetting = setting + " (Max Pool Size)",
                BudgetEnforced = true,
                ReservedForOtherClients = database.Replicas.ReservedForOtherClients,
                ReservedForOtherClientsSetting = "Database:Replicas:ReservedForOtherClients",
                ConnectTimeoutSeconds = database.ConnectTimeoutSeconds,
                CommandTimeoutSeconds = database.CommandTimeoutSeconds,
                ConnectionLifetimeSeconds = standby.ConnectionLifetime,
                ConnectionIdleLifetimeSeconds = standby.ConnectionIdleLifetime,
                ConnectionStringSetting = setting,
            }, connectionString));
        }

        return servers;
    }

    /// <summary>The deadlines admission control gives requests; none unless it runs in Adaptive mode (the only one that
    /// sets deadlines).</summary>
    public static RequestDeadlines? Deadlines(AdmissionOptions admission) =>
        admission.Mode == AdmissionMode.Adaptive ? new RequestDeadlines(admission.ReadTimeout, admission.WriteTimeout) : null;
}
