using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

/// <summary>The heartbeat loop against a server that accepts connections and never answers, as a PostgreSQL stopped with
/// SIGSTOP does (its kernel still completes the handshake): a renewal then ends in Npgsql's own connect timeout, whatever
/// the stop's token says.</summary>
public sealed class PoolGovernorFrozenServerTests : IDisposable
{
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];

    public PoolGovernorFrozenServerTests() => _silent.Start();

    public void Dispose()
    {
        foreach (var socket in _held)
        {
            socket.Dispose();
        }

        _silent.Dispose();
    }

    [Fact]
    public async Task RunHeartbeatsAsync_StoppedWhileARenewalWaitsOnAFrozenServer_EndsWithoutAnException()
    {
        // Arrange: 'up' was stopped (SIGTERM) with PostgreSQL frozen; the stop awaited this loop, which let the renewal's
        // NpgsqlException out ("The operation has timed out"), and 'up' exited with code 1 after stopping everything.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new ConnectionBudgetOptions { HeartbeatInterval = TimeSpan.FromSeconds(2), LeaseDuration = TimeSpan.FromSeconds(10) };
        var port = ((IPEndPoint)_silent.LocalEndpoint).Port;
        await using var governor = new PoolGovernor(
            $"Host=127.0.0.1;Port={port};Username=widgetify;Password=x;Database=widgetify;Timeout=1", 10, "frozen-server-test", options, time,
            NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var heartbeats = governor.RunHeartbeatsAsync(stop.Token);

        // Act: a beat's renewal connects, and waits for an answer that never comes; the stop cancels the loop meanwhile.
        await BoundedWait.UntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(100)); // until the loop's delay has been armed and passed
                return _silent.Pending();
            },
            () => "no connection yet", "a renewal connected to the frozen server", TimeSpan.FromSeconds(10));
        _held.Add(_silent.AcceptSocket());
        await stop.CancelAsync();

        // Assert: the loop ends without an exception once the connect gives up (1 s, Npgsql's Timeout).
        await Should.NotThrowAsync(() => heartbeats.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
