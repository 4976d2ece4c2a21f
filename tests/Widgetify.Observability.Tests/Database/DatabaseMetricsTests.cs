using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Widgetify.Observability.Database;
using Widgetify.Observability.Tests.Metrics;

namespace Widgetify.Observability.Tests.Database;

/// <summary>The sampler's figures as Prometheus scrapes them: the names deploy/prometheus/widgetify.rules.yml selects
/// (tests/Widgetify.Deploy.Tests checks the rules against the same list of names).</summary>
public sealed class DatabaseMetricsTests : IAsyncLifetime
{
    private TestPostgres? _postgres;

    private TestPostgres Postgres => _postgres ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _postgres = await TestPostgres.StartAsync(maxConnections: 20);

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task Scrape_SlotRetainingWal_ExposesRetainedSafeSizeAndBoundInBytes()
    {
        // Arrange: a slot nobody streams from, and a sample taken after the primary wrote WAL
        await using var admin = new NpgsqlConnection(Postgres.Cluster.AdminConnectionString);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand(
            "SELECT pg_create_physical_replication_slot('widgetify_standby_9', true); CREATE TABLE wal_probe AS SELECT generate_series(1, 10000) AS id",
            admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var control = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { MaxPoolSize = 1 });
        var sampler = new DatabaseSampler(control, TimeProvider.System, TimeSpan.FromSeconds(5), NullLogger<DatabaseSampler>.Instance);
        var slot = (await sampler.SampleAsync(CancellationToken.None)).ReplicationSlots.ShouldHaveSingleItem();
        await using var scrape = await PrometheusScrape.StartAsync(DatabaseMetrics.MeterName, services => services
            .AddSingleton(sampler)
            .AddSingleton<DatabaseMetrics>());
        scrape.Services.GetRequiredService<DatabaseMetrics>();

        // Act
        var text = await scrape.ScrapeAsync();
        var (_, exitCode, output) = await Promtool.CheckMetricsAsync(text);

        // Assert
        output.Trim().ShouldBeEmpty($"promtool printed problems for:\n{text}");
        exitCode.ShouldBe(0, $"promtool rejected:\n{text}");
        Value(text, "postgresql_replication_slot_wal_retained_bytes", "active=\"false\"", "slot_name=\"widgetify_standby_9\"")
            .ShouldBe(slot.RetainedBytes);
        Value(text, "postgresql_replication_slot_safe_wal_size_bytes", "slot_name=\"widgetify_standby_9\"").ShouldBe(slot.SafeWalSize.ShouldNotBeNull());
        Value(text, "postgresql_replication_slot_wal_keep_size_max_bytes").ShouldBe(1L << 30);
        text.ShouldContain("# TYPE postgresql_replication_slot_wal_retained_bytes gauge");
    }

    // The value of the one series of `name` carrying every one of `labels`.
    private static long Value(string exposition, string name, params string[] labels)
    {
        var series = Regex.Matches(exposition, $@"^{name}\{{(?<labels>[^}}]*)\}} (?<value>\S+)", RegexOptions.Multiline)
            .Where(m => labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .ShouldHaveSingleItem($"one {name} series with {string.Join(", ", labels)} in:\n{exposition}");
        return long.Parse(series.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
