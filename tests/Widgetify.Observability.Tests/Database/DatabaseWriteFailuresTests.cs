using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Observability.Database;
using Widgetify.Observability.Tests.Metrics;

namespace Widgetify.Observability.Tests.Database;

/// <summary>The write failures as Prometheus scrapes them, with errors as PostgreSQL sends them (DiskFullTests in
/// Widgetify.Api.Tests has a real server refuse real writes).</summary>
public sealed partial class DatabaseWriteFailuresTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
    private PrometheusScrape? _scrape;

    private PrometheusScrape Scrape => _scrape ?? throw new InvalidOperationException("Not started.");

    private DatabaseWriteFailures Failures => Scrape.Services.GetRequiredService<DatabaseWriteFailures>();

    public async Task InitializeAsync() => _scrape = await PrometheusScrape.StartAsync(DatabaseMetrics.MeterName, services => services
        .AddSingleton<TimeProvider>(_clock)
        .AddSingleton<DatabaseWriteFailures>());

    public async Task DisposeAsync()
    {
        if (_scrape is not null)
        {
            await _scrape.DisposeAsync();
        }
    }

    [Fact]
    public async Task Scrape_BeforeAnyFailure_ExposesTheCannotWriteCodesAtZero()
    {
        _ = Failures;

        var text = await Scrape.ScrapeAsync();

        foreach (var code in SqlStates.CannotWriteCodes)
        {
            Count(text, code).ShouldBe(0, text);
        }

        var (_, exitCode, output) = await Promtool.CheckMetricsAsync(text);
        output.Trim().ShouldBeEmpty($"promtool printed problems for:\n{text}");
        exitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Record_DiskFullTwiceAndAConflict_CountsEachBySqlStateClassAndCondition()
    {
        // Act
        Failures.Record(new NpgsqlException("wrapped", ServerError("53100"))).ShouldNotBeNull();
        Failures.Record(ServerError("53100"));
        Failures.Record(ServerError("40001"));
        var text = await Scrape.ScrapeAsync();

        // Assert
        DiskFull().Match(text).Groups[1].Value.ShouldBe("2", text);
        Count(text, "40001").ShouldBe(1);
        text.ShouldContain("condition=\"serialization_failure\"");
        text.ShouldContain("sqlstate_class=\"40\"");
    }

    [Fact]
    public void Record_TheClientsErrorsDeadlinesAndRefusedConnections_AreNotWriteFailures()
    {
        Failures.Record(ServerError("23505")).ShouldBeNull();
        Failures.Record(ServerError("22P02")).ShouldBeNull();
        Failures.Record(ServerError("57014")).ShouldBeNull();
        Failures.Record(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111))).ShouldBeNull();

        Failures.LatestCannotWrite.ShouldBeNull();
    }

    [Fact]
    public void LatestCannotWrite_AfterAConflictThenDiskFull_IsTheDiskFullOnly()
    {
        Failures.Record(ServerError("53100"));
        _clock.Advance(TimeSpan.FromSeconds(3));
        Failures.Record(ServerError("40P01"));

        Failures.LatestCannotWrite.ShouldBe(new WriteRefusal("53100", _clock.GetUtcNow().AddSeconds(-3)));
    }

    private static PostgresException ServerError(string sqlState) => new("refused", "ERROR", "ERROR", sqlState);

    private static long Count(string text, string sqlState)
    {
        var match = Regex.Match(text, $$"""^widgetify_database_write_failures_total\{[^}]*sqlstate="{{sqlState}}"[^}]*\} (\d+)""", RegexOptions.Multiline);
        match.Success.ShouldBeTrue($"no series for {sqlState} in:\n{text}");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("""^widgetify_database_write_failures_total\{condition="disk_full",sqlstate="53100",sqlstate_class="53"\} (\d+)""", RegexOptions.Multiline)]
    private static partial Regex DiskFull();
}
