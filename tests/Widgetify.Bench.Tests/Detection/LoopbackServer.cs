using System.Net;
using System.Text;

namespace Widgetify.Bench.Tests.Detection;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener) whose answers the test scripts: a stand-in for the
/// service's operator endpoints that can hang, fail or talk nonsense on purpose.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly Func<HttpListenerRequest, Task<(int Status, string Body)>> answer;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public LoopbackServer(Func<HttpListenerRequest, Task<(int Status, string Body)>> answer)
    {
        this.answer = answer;
        var port = Widgetify.Postgres.FreePort.Pick();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        listener.Prefixes.Add(BaseAddress.ToString());
        listener.Start();
        loop = Task.Run(AcceptAsync);
    }

    public Uri BaseAddress { get; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Close();
        try
        {
            await loop;
        }
        catch (ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // closed
            }

            _ = Task.Run(() => RespondAsync(context));
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        try
        {
            var (status, body) = await answer(context.Request);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // The client gave up (a deliberate timeout): nothing to answer.
        }
    }
}
