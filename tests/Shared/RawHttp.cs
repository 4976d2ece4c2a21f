using System.Net.Sockets;
using System.Text;

namespace Widgetify.Testing;

/// <summary>An HTTP/1.1 request written to the socket as is, for what HttpClient will not send (a body that stalls, a
/// header it refuses), and the answer read back raw.</summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> to <paramref name="host"/>:<paramref name="port"/> and reads until the
    /// server closes the connection or <paramref name="bound"/> passes; the request should say <c>Connection: close</c>
    /// unless the server closes it by itself.</summary>
    /// <returns>The status line, headers and body, as received.</returns>
    public static async Task<string> ExchangeAsync(string host, int port, string request, TimeSpan bound)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var timeout = new CancellationTokenSource(bound);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // A reset after the answer: what was read is the answer.
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }
}
