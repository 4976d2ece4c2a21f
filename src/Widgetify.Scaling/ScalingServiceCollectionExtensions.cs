using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling;

/// <summary>Registers the autoscaler. The service supplies its inputs as services: an <see cref="IReadPathSignalSource"/>
/// (required once the autoscaler is on), optionally an <see cref="IReplicaStateSource"/> for the replicas gauge and any
/// number of <see cref="IScalingObserver"/>s; the host that runs local standbys registers their provider as a keyed
/// <see cref="IReplicaProvider"/> under <see cref="ReplicaProviderKind.Local"/>.</summary>
public static class ScalingServiceCollectionExtensions
{
    /// <summary>Registers the autoscaler with its settings bound from <paramref name="configuration"/>'s
    /// <c>Widgetify:Scaling</c> section and validated when the host starts, its read model
    /// (<see cref="ScalingDecisionLog"/>), its metrics (<see cref="ScalingMetrics"/>) and its hosted loop.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The root configuration.</param>
    /// <param name="instance">This instance's control connection and name.</param>
    public static IServiceCollection AddScaling(
        this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, ScalingInstance> instance)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(instance);
        services.AddOptions<ScalingOptions>().Bind(configuration.GetSection(ScalingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ScalingOptions>, ScalingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System); // the host registers none; an app's own clock (tests) wins
        services.AddMetrics();
        services.AddSingleton(sp => new ScalingMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<IReplicaStateSource>()));
        services.AddSingleton(instance);
        services.AddSingleton(sp => new ScalingDecisionLog(sp.GetRequiredService<ScalingInstance>().ControlConnection));
        services.AddHostedService(sp =>
        {
            // Validated (ValidateOnStart runs before hosted services start) and copied: later changes are not seen.
            var options = sp.GetRequiredService<IOptions<ScalingOptions>>().Value.Copy();
            return new ScalingController(
                options, sp.GetRequiredService<ScalingInstance>(), SignalSourceOf(sp, options), ProviderOf(sp, options),
                sp.GetServices<IScalingObserver>(), sp.GetRequiredService<ScalingDecisionLog>(), sp.GetRequiredService<ScalingMetrics>(),
                sp.GetRequiredService<TimeProvider>(), Random.Shared.NextDouble, sp.GetRequiredService<ILogger<ScalingController>>());
        });
        return services;
    }

    private static IReadPathSignalSource SignalSourceOf(IServiceProvider services, ScalingOptions options) =>
        services.GetService<IReadPathSignalSource>() ?? (options.Enabled
            ? throw new InvalidOperationException(
                "The autoscaler is on (Widgetify:Scaling:MaxReplicas above MinReplicas) but no IReadPathSignalSource is registered: " +
                "the service must supply the read path's signals, or set MaxReplicas to MinReplicas to turn the autoscaler off.")
            : NoSignals.Instance);

    private static IReplicaProvider ProviderOf(IServiceProvider services, ScalingOptions options)
    {
        if (options.Provider == ReplicaProviderKind.Command)
        {
            return options.Enabled ? new CommandReplicaProvider(options.Command, services.GetRequiredService<TimeProvider>()) : NoProvider.Instance;
        }

        return services.GetKeyedService<IReplicaProvider>(ReplicaProviderKind.Local) ?? (options.Enabled
            ? throw new InvalidOperationException(
                "Widgetify:Scaling:Provider is 'local' but this host runs no local standbys: start the service with " +
                "'./widgetify up --replicas N --max-replicas M', or set Provider to 'command' with Widgetify:Scaling:Command:Path.")
            : NoProvider.Instance);
    }

    /// <summary>Stands in while the autoscaler is off, when nothing is asked of it.</summary>
    private sealed class NoSignals : IReadPathSignalSource
    {
        public static readonly NoSignals Instance = new();

        public IReadOnlyList<ReadPathSignals> GetRecent() => [];
    }

    /// <summary>Stands in while the autoscaler is off.</summary>
    private sealed class NoProvider : IReplicaProvider
    {
        public static readonly NoProvider Instance = new();

        public Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken) =>
            Task.FromResult(ScalingActionResult.Failure("The autoscaler is off."));
    }
}
