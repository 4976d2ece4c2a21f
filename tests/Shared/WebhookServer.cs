using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Widgetify.Testing;

/// <summary>A real HTTP server on loopback (Kestrel) that records every POST and answers with what the test scripts
/// for the n-th request (0-based); 200 by default.</summary>
public sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private WebhookServer(WebApplication app) => _app = app;

    /// <summary>Answer to request n: a status code and optional headers.</summary>
    public Func<int, (int Status, IReadOnlyDictionary<string, string>? Headers)> Respond { get; set; } = _ => (200, null);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<WebhookServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new WebhookServer(app);
        app.MapPost("/{**path}", server.HandleAsync);
        await app.StartAsync();
        server.Url = new Uri(app.Urls.Single());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var index = Interlocked.Increment(ref _count) - 1;
        var (status, headers) = Respond(index);
        Requests.Enqueue(new Received(context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.ContentType, body, status));
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
    }

    public sealed record Received(string Path, string Authorization, string? ContentType, string Body, int Status);
}
