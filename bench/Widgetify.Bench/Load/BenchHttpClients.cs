using System.Net;

namespace Widgetify.Bench.Load;

/// <summary>The two kinds of HTTP client a benchmark uses against the service.</summary>
internal static class BenchHttpClients
{
    /// <summary>For the load: HTTP/1.1 only, up to <paramref name="connections"/> connections kept for the whole run (a
    /// new connection mid-storm would be measured as the service's latency), no cookies, proxy, redirects or
    /// decompression.</summary>
    public static HttpClient Load(int connections, TimeSpan timeout) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = timeout,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = timeout,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    /// <summary>For readiness checks and the operator endpoints: its own connections, so that it never queues behind the load.</summary>
    public static HttpClient Control() => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
}
