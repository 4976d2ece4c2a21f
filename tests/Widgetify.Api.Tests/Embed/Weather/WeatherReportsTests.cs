using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Embed.Weather;

namespace Widgetify.Api.Tests.Embed.Weather;

/// <summary>The weather client and its cache against a real HTTP provider on loopback, on a fake clock: what is
/// fetched, when it is fetched again, and what a failing or hanging provider turns into (null: "unavailable").</summary>
public sealed class WeatherReportsTests : IAsyncLifetime
{
    private static readonly WeatherQuery Quito = new("Quito", -0.18, -78.47);
    private static readonly WeatherQuery Lima = new("Lima", -12.05, -77.04);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 20, 0, 0, TimeSpan.Zero));
    private FakeWeatherProvider _provider = null!;
    private ServiceProvider _services = null!;

    private WeatherReports Reports => _services.GetRequiredService<WeatherReports>();

    public async Task InitializeAsync()
    {
        _provider = await FakeWeatherProvider.StartAsync();
        _services = Build(_provider.Url.AbsoluteUri);
    }

    private ServiceProvider Build(string? providerUrl, int maxCachedLocations = 10_000)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Weather:ProviderUrl"] = providerUrl,
            // A retry waits on the fake clock too; none, so a failing call fails at once.
            ["Weather:RetryDelay"] = "00:00:00",
            ["Weather:MaxCachedLocations"] = maxCachedLocations.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(logging => logging.ClearProviders());
        services.AddWeather(configuration);
        return services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task GetAsync_ProviderAnswers_ReturnsItsTemperatureAskedByCoordinates()
    {
        var report = await Reports.GetAsync(Quito, CancellationToken.None);

        report.ShouldNotBeNull();
        (report.Temperature, report.Unit, report.FetchedAt).ShouldBe((21.4, "°C", _time.GetUtcNow()));
        _provider.Queries.ShouldHaveSingleItem().ShouldBe("?latitude=-0.18&longitude=-78.47&current=temperature_2m");
    }

    [Fact]
    public async Task GetAsync_LocationWithoutCoordinates_AsksByName()
    {
        await Reports.GetAsync(new WeatherQuery("São Paulo", null, null), CancellationToken.None);

        _provider.Queries.ShouldHaveSingleItem().ShouldBe("?location=S%C3%A3o%20Paulo&current=temperature_2m");
    }

    [Fact]
    public async Task GetAsync_WithinTenMinutes_UsesTheCachedReport_AfterTenMinutes_AsksAgain()
    {
        var first = await Reports.GetAsync(Quito, CancellationToken.None);
        _provider.Temperature = 25;
        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));

        var cached = await Reports.GetAsync(Quito, CancellationToken.None);

        cached.ShouldBeSameAs(first);
        _provider.Queries.Count.ShouldBe(1);

        _time.Advance(TimeSpan.FromSeconds(1));
        var refreshed = await Reports.GetAsync(Quito, CancellationToken.None);

        refreshed.ShouldNotBeNull().Temperature.ShouldBe(25);
        _provider.Queries.Count.ShouldBe(2);
    }

    [Fact]
    public async Task GetAsync_SamePlaceTwoWidgets_ShareOneCall()
    {
        await Reports.GetAsync(Quito, CancellationToken.None);
        await Reports.GetAsync(Quito with { Location = "Quito, Ecuador", Latitude = -0.181 }, CancellationToken.None);

        _provider.Queries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task GetAsync_CacheFull_ViewsOfANewPlaceStillShareOneCall()
    {
        // Arrange: Quito fills the only place the cache has, so Lima's entry is refused; Lima's first call hangs
        await using var full = Build(_provider.Url.AbsoluteUri, maxCachedLocations: 1);
        var reports = full.GetRequiredService<WeatherReports>();
        await reports.GetAsync(Quito, CancellationToken.None);
        _provider.Respond = n => n == 1 ? null : 200;

        // Act: two views of Lima while its call is in flight, then the provider answers (the hung attempt's 503 is retried)
        var first = reports.GetAsync(Lima, CancellationToken.None);
        var second = reports.GetAsync(Lima, CancellationToken.None);
        await BoundedWait.UntilAsync(() => _provider.Queries.Count == 2, () => $"{_provider.Queries.Count} calls", "Lima's call reaches the provider");
        _provider.Release();
        var answers = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));

        // Assert: one call (its attempt and its retry), not one per view
        answers.ShouldAllBe(report => report != null && report.Temperature == 21.4);
        _provider.Queries.Count.ShouldBe(3, "Quito's call, then Lima's hung attempt and its retry");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(404)]
    public async Task GetAsync_ProviderFails_ReturnsNull(int status)
    {
        _provider.Respond = _ => status;

        (await Reports.GetAsync(Quito, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task GetAsync_ProviderFailsOnce_RetriesAndReturnsTheReport()
    {
        _provider.Respond = n => n == 0 ? 500 : 200;

        (await Reports.GetAsync(Quito, CancellationToken.None)).ShouldNotBeNull();
        _provider.Queries.Count.ShouldBe(2);
    }

    [Fact]
    public async Task GetAsync_AfterAFailure_AsksAgainOnlyAfterAMinute()
    {
        _provider.Respond = _ => 500;
        (await Reports.GetAsync(Quito, CancellationToken.None)).ShouldBeNull();
        var calls = _provider.Queries.Count;
        _provider.Respond = _ => 200;

        (await Reports.GetAsync(Quito, CancellationToken.None)).ShouldBeNull("a failure is remembered for a minute");
        _provider.Queries.Count.ShouldBe(calls);
        _time.Advance(TimeSpan.FromMinutes(1));

        (await Reports.GetAsync(Quito, CancellationToken.None)).ShouldNotBeNull();
    }

    [Fact]
    public async Task GetAsync_ProviderHangs_ReturnsNullWhenTheAttemptTimesOut()
    {
        _provider.Respond = _ => null;
        var pending = Reports.GetAsync(Quito, CancellationToken.None);
        await BoundedWait.UntilAsync(() => !_provider.Queries.IsEmpty, () => "no call yet", "the provider receives the first call");
        pending.IsCompleted.ShouldBeFalse();

        // The first attempt times out after 2 s; the retry (no delay) hangs too, and the total timeout (4 s) ends it.
        _time.Advance(TimeSpan.FromSeconds(2));
        await BoundedWait.UntilAsync(() => _provider.Queries.Count == 2, () => $"{_provider.Queries.Count} calls", "the retry after the attempt timed out");
        _time.Advance(TimeSpan.FromSeconds(2));

        (await pending.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeNull();
    }

    [Fact]
    public async Task GetAsync_NoProviderConfigured_ReturnsNullWithoutCalling()
    {
        await using var unconfigured = Build(providerUrl: null);

        (await unconfigured.GetRequiredService<WeatherReports>().GetAsync(Quito, CancellationToken.None)).ShouldBeNull();
        _provider.Queries.ShouldBeEmpty();
    }
}
