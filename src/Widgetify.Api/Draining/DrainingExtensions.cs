using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Widgetify.Api.Draining;

/// <summary>Registers the graceful stop (<see cref="ShutdownDrain"/>) and adds its <c>Connection: close</c>.</summary>
internal static class DrainingExtensions
{
    /// <summary>Puts <see cref="DrainingListenerFactory"/> in front of Kestrel's socket transport (Kestrel binds with the
    /// last factory registered that can bind the address) and the drain first among the host's stopping steps.</summary>
    public static IServiceCollection AddShutdownDrain(this IServiceCollection services)
    {
        services.TryAddSingleton<ListenSockets>();
        services.AddOptions<SocketTransportOptions>().PostConfigure<ListenSockets>((transport, sockets) =>
        {
            var create = transport.CreateBoundListenSocket;
            transport.CreateBoundListenSocket = endpoint => sockets.Track(create(endpoint));
        });
        services.TryAddSingleton<DrainingListenerFactory>();
        services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<DrainingListenerFactory>());
        services.TryAddSingleton<ShutdownDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        return services;
    }

    /// <summary>While the instance stops, every HTTP/1.x response says <c>Connection: close</c>, so a kept-alive client
    /// takes its next request elsewhere instead of sending it on a connection the server is about to close. Set when the
    /// response starts, so that a response the exception handler cleared and rewrote has it too.</summary>
    public static IApplicationBuilder UseConnectionCloseWhileDraining(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<ShutdownDrain>();
        return app.Use((context, next) =>
        {
            if (drain.IsDraining && (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol)))
            {
                context.Response.OnStarting(CloseConnection, context.Response);
            }

            return next(context);
        });
    }

    private static Task CloseConnection(object state)
    {
        ((HttpResponse)state).Headers.Connection = "close";
        return Task.CompletedTask;
    }
}
