using System.Net;
using System.Net.Sockets;

namespace Widgetify.Postgres.Tests;

public sealed class FreePortTests
{
    [Fact]
    public void Pick_BelowTheKernelsEphemeralRange_AndBindable()
    {
        var (low, _) = FreePort.EphemeralRange();

        var port = FreePort.Pick();

        // Below the range the kernel takes outgoing connections' local ports from (when it leaves room below it)
        if (low - 1024 >= 1_000)
        {
            port.ShouldBeLessThan(low);
        }

        port.ShouldBeGreaterThanOrEqualTo(1024);
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
    }
}
