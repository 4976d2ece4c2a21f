using System.Net;
using System.Net.Sockets;

namespace Widgetify.Postgres;

/// <summary>Finds an unused loopback port for a server to bind.</summary>
public static class FreePort
{
    /// <summary>Where the kernel's ephemeral range is unknown: Linux's default.</summary>
    private static readonly (int Low, int High) DefaultEphemeralRange = (32768, 60999);

    /// <summary>How far below the ephemeral range ports are picked from.</summary>
    private const int BelowEphemeral = 10_000;

    /// <summary>
    /// A port below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>), free when tried. The
    /// port is released before the server binds it, so another process may take it in between; a port the kernel chose
    /// (port 0) lies in the ephemeral range, from which it also picks the local port of every outgoing connection, and on
    /// a busy machine one of those took a port between its pick and a bind (HAProxy's "Address already in use" at a
    /// fleet's start, seen in a run of the suite). Below that range only another listener can take it, a race left to the
    /// callers' retries (a PostgreSQL start that fails is retried on a new port). When the range leaves no room below
    /// it, or no port there is free after a few tries, the kernel chooses.
    /// </summary>
    public static int Pick()
    {
        var low = EphemeralRange().Low;
        var floor = Math.Max(1024, low - BelowEphemeral);
        for (var attempt = 0; low - floor >= 1_000 && attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(floor, low);
            if (IsFree(port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var chosen = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return chosen;
    }

    /// <summary>The kernel's range of ephemeral ports, or Linux's default when it cannot be read.</summary>
    internal static (int Low, int High) EphemeralRange()
    {
        try
        {
            var bounds = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return bounds.Length == 2
                && int.TryParse(bounds[0], System.Globalization.CultureInfo.InvariantCulture, out var low)
                && int.TryParse(bounds[1], System.Globalization.CultureInfo.InvariantCulture, out var high)
                ? (low, high)
                : DefaultEphemeralRange;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return DefaultEphemeralRange;
        }
    }

    /// <summary>True when nothing listens on <paramref name="port"/> of 127.0.0.1 now (it may be taken a moment later).</summary>
    /// <param name="port">The port to try.</param>
    /// <returns>Whether it could be bound.</returns>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
