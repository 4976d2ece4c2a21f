using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Widgetify.Observability.Metrics;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>A loopback web host exposing one meter through OpenTelemetry's Prometheus exporter with Widgetify's views,
/// as the service does, to read the exposition the rules and the dashboard select from.</summary>
internal sealed class PrometheusScrape : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private PrometheusScrape(WebApplication app, HttpClient client)
    {
        _app = app;
        _client = client;
    }

    /// <summary>The host's services: its <c>IMeterFactory</c> creates meters the exporter reads.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a host exporting the meter <paramref name="meterName"/>, with <paramref name="services"/> registered.</summary>
    public static async Task<PrometheusScrape> StartAsync(string meterName, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        services?.Invoke(builder.Services);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(meterName)
            .AddWidgetifyViews()
            .AddPrometheusExporter(o =>
            {
                o.ScopeInfoEnabled = false;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new PrometheusScrape(app, new HttpClient { BaseAddress = new Uri(address) });
    }

    /// <summary>One scrape of <c>/metrics</c>.</summary>
    public Task<string> ScrapeAsync() => _client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }
}
