using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;

namespace Widgetify.Api.Embed;

/// <summary>A per-IP ceiling on what visitors do to one widget, in this instance's memory: against one machine acting
/// as a crowd (minting visitor tokens to stuff a ballot, replaying clicks), not against a crowd (a fleet of N instances
/// lets N times the ceiling through). A fixed one-minute window per (address, widget); IPv6 addresses count by their
/// /64, which one subscriber usually holds whole.</summary>
/// <remarks>Memory is bounded by the (address, widget) pairs active in about the last minute: the partitioned limiter
/// drops a partition once its window has refilled and it stayed idle (System.Threading.RateLimiting's 10 s idle
/// eviction).</remarks>
internal abstract class AddressCeiling : IDisposable
{
    private readonly PartitionedRateLimiter<(string Address, Guid Widget)> _limiter;

    protected AddressCeiling(int permitsPerMinute)
    {
        _limiter = PartitionedRateLimiter.Create<(string Address, Guid Widget), (string Address, Guid Widget)>(key =>
            RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permitsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
    }

    /// <summary>Takes one permit; a lease that is not acquired carries the Retry-After.</summary>
    public RateLimitLease AttemptAcquire(IPAddress? address, Guid widget) => _limiter.AttemptAcquire((KeyOf(address), widget));

    public void Dispose() => _limiter.Dispose();

    private static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}

