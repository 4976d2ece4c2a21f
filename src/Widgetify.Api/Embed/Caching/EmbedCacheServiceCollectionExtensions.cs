using Widgetify.Api.Notifications;

namespace Widgetify.Api.Embed.Caching;

/// <summary>Registers the rendered-widget cache and its subscription to widget changes.</summary>
internal static class EmbedCacheServiceCollectionExtensions
{
    public static IServiceCollection AddEmbedCache(this IServiceCollection services)
    {
        services.AddSingleton<EmbedCacheMetrics>();
        services.AddSingleton<WidgetSnapshotReader>();
        services.AddSingleton<EmbedCache>();
        services.AddSingleton<INotificationSubscriber, WidgetChangeSubscriber>();
        return services;
    }
}
