using Widgetify.Api.Notifications;

namespace Widgetify.Api.Embed.Caching;

/// <summary>Registers the rendered-widget cache, its subscription to widget changes and its warm-up.</summary>
internal static class EmbedCacheServiceCollectionExtensions
{
    public static IServiceCollection AddEmbedCache(this IServiceCollection services)
    {
        services.AddSingleton<EmbedCacheMetrics>();
        services.AddSingleton<WidgetSnapshotReader>();
        services.AddSingleton<EmbedCache>();
        services.AddSingleton<INotificationSubscriber, WidgetChangeSubscriber>();
        services.AddSingleton<EmbedCacheWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbedCacheWarmUp>());
        return services;
    }
}
