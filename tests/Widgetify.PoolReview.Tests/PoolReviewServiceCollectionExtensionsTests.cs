using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Observability;
using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview.Tests;

public sealed class PoolReviewServiceCollectionExtensionsTests : IAsyncDisposable
{
    // Never opened: building the services connects to nothing.
    private readonly NpgsqlDataSource unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");

    ValueTask IAsyncDisposable.DisposeAsync() => unreachable.DisposeAsync();

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        // What AddObservability registers and the history needs: the control connection and the instance's name.
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new MonitoredService { ControlConnection = unreachable, RequestPoolName = "widgetify-primary", ApplicationName = "widgetify" });
        services.AddSingleton(new MonitoringIdentity("test"));
        services.AddPoolHistory(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task AddPoolHistory_WithMonitoring_FollowsTheLoopAndReadsTheHistory()
    {
        // Arrange
        await using var provider = Build(new() { ["Widgetify:Review:HistoryRetention"] = "7.00:00:00" });

        // Act & Assert
        provider.GetServices<IMonitoringObserver>().ShouldHaveSingleItem().ShouldBeOfType<PoolHistoryRecorder>();
        provider.GetRequiredService<PoolHistory>().ShouldNotBeNull();
        provider.GetRequiredService<IOptions<PoolReviewOptions>>().Value.HistoryRetention.ShouldBe(TimeSpan.FromDays(7));
    }

    [Fact]
    public async Task AddPoolHistory_RetentionBelowAnHour_FailsNamingTheSetting()
    {
        // Arrange
        await using var provider = Build(new() { ["Widgetify:Review:HistoryRetention"] = "00:10:00" });

        // Act
        var exception = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PoolReviewOptions>>().Value);

        // Assert
        exception.Message.ShouldContain("HistoryRetention");
    }
}
