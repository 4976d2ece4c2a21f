using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.PoolReview;
using Widgetify.PoolReview.History;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Api.Review;

/// <summary>The pool settings review of a configuration against its live servers (issue 12): gathers the inputs (the
/// settings the service would bind from its configuration, one round trip per server, the recorded
/// history) and runs <see cref="SettingsReview"/>. The one public door <c>./widgetify review</c> uses; the service can
/// call the same to review itself.</summary>
public static class PoolSettingsReview
{
    /// <summary>Reviews the settings in <paramref name="configuration"/> (its <c>Widgetify</c> section, bound as the service
    /// binds it) against the primary at <paramref name="connectionString"/> and the configured standbys.</summary>
    /// <param name="configuration">The configuration the service would run with.</param>
    /// <param name="connectionString">How to reach the primary; the configured connection string's pool keywords count
    /// when it has one.</param>
    /// <param name="instances">The instance count to plan for; null to count the instances leased in the budget now
    /// (1 when none is).</param>
    /// <param name="runTimeStandbys">Standbys the service reads from that its configuration does not name (the autoscaler's);
    /// none when null.</param>
    /// <param name="timeProvider">When the review runs, and the end of the history read.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <exception cref="OptionsValidationException">A setting is out of range; the message names it.</exception>
    /// <exception cref="InvalidOperationException">A standby's entry is unusable; the message names it.</exception>
    /// <exception cref="NpgsqlException">A server could not be reached.</exception>
    public static async Task<ReviewReport> RunAsync(
        IConfiguration configuration, string connectionString, int? instances, IReadOnlyList<(string Name, string ConnectionString)>? runTimeStandbys,
        TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var configured = configuration[$"{WidgetifyOptions.SectionName}:Database:ConnectionString"];
        var services = new ServiceCollection();
        WidgetifyApplication.AddWidgetifyOptions(services, configuration)
            .PostConfigure(o => o.Database.ConnectionString = connectionString);
        services.AddOptions<PoolReviewOptions>().Bind(configuration.GetSection(PoolReviewOptions.SectionName));
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<WidgetifyOptions>>().Value; // validates, as the service's start does
        var retention = provider.GetRequiredService<IOptions<PoolReviewOptions>>().Value.HistoryRetention;
        var servers = ReviewedSettings.Of(
            options, string.IsNullOrWhiteSpace(configured) ? connectionString : configured,
            ReviewedSettings.Standbys(ConfiguredReplicas.Read(configuration), runTimeStandbys));

        var now = timeProvider.GetUtcNow();
        var facts = new List<ServerFacts>();
        int? leased = null;
        foreach (var (settings, serverConnectionString) in servers)
        {
            try
            {
                var (read, leases) = await ServerFactsReader.ReadAsync(settings.Server, serverConnectionString, options.Database.ApplicationName, cancellationToken);
                facts.Add(read);
                leased ??= settings.IsPrimary ? leases : null;
            }
            catch (NpgsqlException ex)
            {
                var at = new NpgsqlConnectionStringBuilder(serverConnectionString);
                throw new ReviewUnavailableException($"Could not read {settings.Server} at {at.Host}:{at.Port}/{at.Database}: {ex.Message}", ex);
            }
        }

        var history = await ReadHistoryAsync(connectionString, now - retention, now, cancellationToken);
        var (count, source) = instances is { } planned
            ? (planned, "--instances")
            : leased is > 0 ? (leased.Value, "registered in the budget") : (1, "none registered in the budget now, 1 assumed");
        var input = new ReviewInput
        {
            GeneratedAt = now,
            Instances = count,
            InstancesSource = source,
            Deadlines = ReviewedSettings.Deadlines(options.Admission),
            Servers = [.. servers.Select((s, i) => new ServerReviewInput(
                s.Settings, facts[i], history.Servers.FirstOrDefault(h => h.Server == s.Settings.Server)))],
        };
        return SettingsReview.Review(input);
    }

    /// <summary>Binds and validates the settings in <paramref name="configuration"/> as the service's start does, without
    /// reaching any server.</summary>
    /// <exception cref="OptionsValidationException">A setting is out of range; the message names it.</exception>
    /// <exception cref="InvalidOperationException">A standby's entry is unusable; the message names it.</exception>
    public static void Validate(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        // The review reaches the primary through --data-dir or --database-url when configuration names none.
        WidgetifyApplication.AddWidgetifyOptions(services, configuration)
            .PostConfigure(o => o.Database.ConnectionString = string.IsNullOrWhiteSpace(o.Database.ConnectionString) ? "Host=localhost" : o.Database.ConnectionString);
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<WidgetifyOptions>>().Value;
        _ = ConfiguredReplicas.Read(configuration);
    }

    private static async Task<PoolHistoryRange> ReadHistoryAsync(
        string connectionString, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "widgetify-review", MaxPoolSize = 1 };
        await using var dataSource = NpgsqlDataSource.Create(csb.ConnectionString);
        return await new PoolHistory(dataSource).ReadAsync(since, until, cancellationToken: cancellationToken);
    }
}
