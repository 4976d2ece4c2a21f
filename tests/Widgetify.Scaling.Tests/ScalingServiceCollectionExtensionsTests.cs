using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;
using Widgetify.Scaling.Tests.Controller;
using Widgetify.Scaling.Tests.Providers;

namespace Widgetify.Scaling.Tests;

public sealed class ScalingServiceCollectionExtensionsTests : IAsyncDisposable
{
    // Never opened: building the services connects to nothing.
    private readonly NpgsqlDataSource unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");

    public async ValueTask DisposeAsync() => await unreachable.DisposeAsync();

    private ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddScaling(
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            _ => new ScalingInstance { ControlConnection = unreachable, InstanceName = "test" });
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> On(string provider = "local") => new()
    {
        ["Widgetify:Scaling:MinReplicas"] = "1",
        ["Widgetify:Scaling:MaxReplicas"] = "3",
        ["Widgetify:Scaling:Provider"] = provider,
        ["Widgetify:Scaling:Command:Path"] = "/opt/scale.sh",
    };

    [Fact]
    public async Task AddScaling_OnWithEverythingSupplied_BuildsTheControllerAndTheReadModel()
    {
        // Arrange
        await using var provider = Build(On(), services =>
        {
            services.AddSingleton<IReadPathSignalSource, SettableSignals>();
            services.AddKeyedSingleton<IReplicaProvider>(ReplicaProviderKind.Local, new ScriptedProvider(ScalingActionResult.Success("ok")));
        });

        // Act & Assert
        provider.GetServices<IHostedService>().ShouldHaveSingleItem().ShouldBeOfType<ScalingController>();
        provider.GetRequiredService<ScalingDecisionLog>().Recent.ShouldBeEmpty();
        provider.GetRequiredService<ScalingMetrics>().ShouldNotBeNull();
    }

    [Fact]
    public async Task AddScaling_CommandProvider_NeedsNoLocalOne()
    {
        // Arrange
        await using var provider = Build(On("command"), services => services.AddSingleton<IReadPathSignalSource, SettableSignals>());

        // Act & Assert
        provider.GetServices<IHostedService>().ShouldHaveSingleItem().ShouldBeOfType<ScalingController>();
    }

    [Fact]
    public async Task AddScaling_LocalProviderButNoLocalStandbys_FailsSayingWhatToDo()
    {
        // Arrange
        await using var provider = Build(On(), services => services.AddSingleton<IReadPathSignalSource, SettableSignals>());

        // Act
        var exception = Should.Throw<InvalidOperationException>(() => provider.GetServices<IHostedService>().ToList());

        // Assert
        exception.Message.ShouldContain("--max-replicas");
        exception.Message.ShouldContain("Widgetify:Scaling:Command:Path");
    }

    [Fact]
    public async Task AddScaling_OnWithoutSignals_FailsNamingTheMissingService()
    {
        // Arrange
        await using var provider = Build(On("command"));

        // Act & Assert
        Should.Throw<InvalidOperationException>(() => provider.GetServices<IHostedService>().ToList()).Message.ShouldContain("IReadPathSignalSource");
    }

    [Fact]
    public async Task AddScaling_Off_NeedsNothingElse()
    {
        // Arrange
        await using var provider = Build([]);

        // Act & Assert
        provider.GetServices<IHostedService>().ShouldHaveSingleItem().ShouldBeOfType<ScalingController>();
    }
}
