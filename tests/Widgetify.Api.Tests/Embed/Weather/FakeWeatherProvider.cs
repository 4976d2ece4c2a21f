using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Widgetify.Api.Tests.Embed.Weather;

/// <summary>A weather provider on loopback (real Kestrel, real HTTP) that answers as the test scripts: an Open-Meteo
/// shaped temperature by default, or a status code, or never (until the test releases it), and records every query.</summary>
public sealed class FakeWeatherProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeWeatherProvider(WebApplication app) => _app = app;

    /// <summary>What to answer: a status (200 sends <see cref="Temperature"/>), or null to hang until <see cref="Release"/>.</summary>
    public Func<int, int?> Respond { get; set; } = _ => 200;

    public double Temperature { get; set; } = 21.4;

    /// <summary>The query strings received, in order.</summary>
    public ConcurrentQueue<string> Queries { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<FakeWeatherProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var provider = new FakeWeatherProvider(app);
        app.MapGet("/v1/forecast", provider.HandleAsync);
        await app.StartAsync();
        provider.Url = new Uri(new Uri(app.Urls.Single()), "/v1/forecast");
        return provider;
    }

    /// <summary>Lets every hanging request finish (with a 503, too late to matter).</summary>
    public void Release() => _release.TrySetResult();

    private async Task HandleAsync(HttpContext context)
    {
        var index = Queries.Count;
        Queries.Enqueue(context.Request.QueryString.Value ?? "");
        switch (Respond(index))
        {
            case null:
                await _release.Task.WaitAsync(context.RequestAborted);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                break;
            case 200:
                await context.Response.WriteAsJsonAsync(new
                {
                    current = new { time = "2026-12-06T20:00", temperature_2m = Temperature },
                    current_units = new { temperature_2m = "°C" },
                });
                break;
            case var status:
                context.Response.StatusCode = status.Value;
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
