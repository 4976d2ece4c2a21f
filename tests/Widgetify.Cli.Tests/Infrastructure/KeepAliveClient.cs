using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Widgetify.Cli.Tests.Infrastructure;

/// <summary>A bare HTTP/1.1 client on one kept-alive connection, for counting what a stop does to requests. Unlike
/// <see cref="HttpClient"/>, which quietly resends a request whose reused connection the server closed, it never
/// retries: every request either got a whole response, was refused before a byte of it was sent, or failed after
/// being sent (<see cref="ExchangeOutcome"/>). It opens a new connection when the last one was closed or the server
/// said <c>Connection: close</c>.</summary>
public sealed class KeepAliveClient(int port) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private Socket? _socket;
    private int _start;
    private int _end;

    /// <summary>Sends one request and reads its whole response (Content-Length or chunked).</summary>
    public async Task<Exchange> SendAsync(string method, string path, string? bearer, string? jsonBody, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                return ex.SocketErrorCode == SocketError.ConnectionRefused
                    ? new Exchange(ExchangeOutcome.Refused, 0, false, "connection refused")
                    : new Exchange(ExchangeOutcome.Failed, 0, false, "connect: " + ex.SocketErrorCode);
            }

            _socket = socket;
            _start = _end = 0;
        }

        var body = jsonBody is null ? [] : Encoding.UTF8.GetBytes(jsonBody);
        var head = new StringBuilder().Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: 127.0.0.1:").Append(port).Append("\r\n");
        if (bearer is not null)
        {
            head.Append("Authorization: Bearer ").Append(bearer).Append("\r\n");
        }

        if (jsonBody is not null)
        {
            head.Append("Content-Type: application/json\r\nContent-Length: ").Append(body.Length).Append("\r\n");
        }

        byte[] request = [.. Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), .. body];
        try
        {
            await _socket.SendAsync(request, SocketFlags.None, cancellationToken);
        }
        catch (SocketException ex)
        {
            Drop();
            return new Exchange(ExchangeOutcome.Failed, 0, false, "send: " + ex.SocketErrorCode);
        }

        var received = false;
        try
        {
            var headers = await ReadUntilAsync("\r\n\r\n"u8.ToArray(), () => received = true, cancellationToken)
                ?? throw new EndOfStreamException("the connection closed before a response");
            var (status, close, chunked, length) = Parse(headers);
            if (chunked)
            {
                while (true)
                {
                    var line = await ReadUntilAsync("\r\n"u8.ToArray(), () => { }, cancellationToken) ?? throw new EndOfStreamException("mid-response");
                    var size = Convert.ToInt32(line.Split(';')[0], 16);
                    await SkipAsync(size + 2, cancellationToken);
                    if (size == 0)
                    {
                        break;
                    }
                }
            }
            else
            {
                await SkipAsync(length, cancellationToken);
            }

            if (close)
            {
                Drop();
            }

            return new Exchange(ExchangeOutcome.Completed, status, close, null);
        }
        catch (Exception ex) when (ex is SocketException or EndOfStreamException)
        {
            Drop();
            var what = ex is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
            return new Exchange(ExchangeOutcome.Failed, 0, false, (received ? "reset mid-response: " : "sent, then no response: ") + what);
        }
    }

    public void Dispose() => Drop();

    private static (int Status, bool Close, bool Chunked, int Length) Parse(string headers)
    {
        var lines = headers.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        bool close = false, chunked = false;
        var length = 0;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            close |= name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase);
            chunked |= name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return (status, close, chunked, length);
    }

    /// <summary>The text up to <paramref name="delimiter"/> (consumed), or null when the connection closed before any byte.</summary>
    private async Task<string?> ReadUntilAsync(byte[] delimiter, Action receivedSome, CancellationToken cancellationToken)
    {
        while (true)
        {
            var index = _buffer.AsSpan(_start, _end - _start).IndexOf(delimiter);
            if (index >= 0)
            {
                var text = Encoding.ASCII.GetString(_buffer, _start, index);
                _start += index + delimiter.Length;
                return text;
            }

            if (!await FillAsync(cancellationToken))
            {
                return _end > _start ? throw new EndOfStreamException("mid-response") : null;
            }

            receivedSome();
        }
    }

    private async Task SkipAsync(int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new EndOfStreamException("mid-response");
            }

            var take = Math.Min(count, _end - _start);
            _start += take;
            count -= take;
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        _end += read;
        return read > 0;
    }

    private void Drop()
    {
        _socket?.Dispose();
        _socket = null;
    }
}

/// <summary>What became of one request.</summary>
public enum ExchangeOutcome
{
    /// <summary>A whole response came back.</summary>
    Completed,

    /// <summary>The connection was refused: nothing was sent, the client knows the request was not served.</summary>
    Refused,

    /// <summary>The request was sent (or the connect failed otherwise) and no whole response came back: the client
    /// cannot tell whether it was served.</summary>
    Failed,
}

/// <summary>One request's outcome, status (when completed), whether the response closed the connection, and what went wrong.</summary>
public readonly record struct Exchange(ExchangeOutcome Outcome, int Status, bool ConnectionClose, string? Failure);
