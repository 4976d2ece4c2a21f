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
    /// <param name="replicas">The standbys, each with the setting its connection string comes from.</param>
    public static IReadOnlyList<(ServerSettings Settings, string ConnectionString)> Of(
        WidgetifyOptions options, string configuredConnectionString, IReadOnlyList<(string Name, string ConnectionString, string Setting)> replicas)
    {
        var database = options.Database;
        ServerSettings Settings(string server, string connectionString, string connectionStringSetting, int? maxPoolSize, string maxPoolSizeSetting,
            bool budgetEnforced, int reservedForOtherClients, string reservedSetting)
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString);
            return new ServerSettings
            {
                Server = server,
                MaxPoolSize = maxPoolSize,
                MaxPoolSizeSetting = maxPoolSizeSetting,
                BudgetEnforced = budgetEnforced,
                ReservedForOtherClients = reservedForOtherClients,
                ReservedForOtherClientsSetting = reservedSetting,
                // The standbys get the primary's timeouts (WidgetifyDataSources.StandbyConnectionString).
                ConnectTimeoutSeconds = database.ConnectTimeoutSeconds,
                CommandTimeoutSeconds = database.CommandTimeoutSeconds,
                ConnectionLifetimeSeconds = csb.ConnectionLifetime,
                ConnectionIdleLifetimeSeconds = csb.ConnectionIdleLifetime,
                ConnectionStringSetting = connectionStringSetting,
            };
        }

        var givenInString = database.MaxPoolSize is null && WidgetifyDataSources.GivenMaxPoolSize(configuredConnectionString) is not null;
        var servers = new List<(ServerSettings, string)>
        {
            (Settings(
                PoolHistory.PrimaryServer, configuredConnectionString, "Database:ConnectionString",
                WidgetifyDataSources.ConfiguredMaxPoolSize(new DatabaseOptions { ConnectionString = configuredConnectionString, MaxPoolSize = database.MaxPoolSize }),
                givenInString ? "Database:ConnectionString (Max Pool Size)" : "Database:MaxPoolSize",
                options.ConnectionBudget.Enabled, options.ConnectionBudget.ReservedForOtherClients, "ConnectionBudget:ReservedForOtherClients"),
             database.ConnectionString),
        };

        foreach (var (name, connectionString, setting) in replicas)
        {
            // A standby's pool is bounded by its gate, whose limit follows the standby's own budget; only a Max Pool Size
            // written in its connection string asks for a fixed size (ReadServer).
            servers.Add((Settings(
                name, connectionString, setting, WidgetifyDataSources.GivenMaxPoolSize(connectionString), setting + " (Max Pool Size)",
                budgetEnforced: true, database.Replicas.ReservedForOtherClients, "Database:Replicas:ReservedForOtherClients"),
                connectionString));
        }

        return servers;
    }

    /// <summary>The configured standbys, then those the router serves reads from that configuration does not name (added at
    /// run time by the autoscaler), each with the setting its connection string comes from.</summary>
    public static IReadOnlyList<(string Name, string ConnectionString, string Setting)> Standbys(
        IReadOnlyList<(string Name, string ConnectionString)> configured, IReadOnlyList<(string Name, string ConnectionString)>? runTime)
    {
        var standbys = configured.Select((r, i) => (r.Name, r.ConnectionString, $"Database:Replicas:{i}:ConnectionString")).ToList();
        foreach (var (name, connectionString) in runTime ?? [])
        {
            if (standbys.All(s => s.Name != name))
            {
                standbys.Add((name, connectionString, $"Database:Replicas ({name}, added at run time)"));
            }
        }

        return standbys;
    }

    /// <summary>The deadlines admission control gives requests; none unless it runs in Adaptive mode (the only one that
    /// sets deadlines).</summary>
    public static RequestDeadlines? Deadlines(AdmissionOptions admission) =>
        admission.Mode == AdmissionMode.Adaptive ? new RequestDeadlines(admission.ReadTimeout, admission.WriteTimeout) : null;
}
