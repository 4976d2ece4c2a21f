using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Polls;

/// <summary>The per-IP ceiling on one poll (<see cref="PollOptions.VotesPerMinutePerIp"/>), in this instance's memory:
/// against one machine minting visitor tokens to stuff the ballot, not against a crowd (a fleet of N instances lets
/// N times the ceiling through). A fixed one-minute window per (address, poll); IPv6 addresses count by their /64,
/// which one subscriber usually holds whole.</summary>
/// <remarks>Memory is bounded by the (address, poll) pairs that voted in about the last minute: the partitioned limiter
/// drops a partition once its window has refilled and it stayed idle (System.Threading.RateLimiting's 10 s idle
/// eviction).</remarks>
internal sealed class VoteRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<(string Address, Guid Poll)> _limiter;

    public VoteRateLimiter(IOptions<WidgetifyOptions> options)
    {
        var permits = options.Value.Polls.VotesPerMinutePerIp;
        _limiter = PartitionedRateLimiter.Create<(string Address, Guid Poll), (string Address, Guid Poll)>(key =>
            RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
    }

    /// <summary>Takes one vote's permit; a lease that is not acquired carries the Retry-After.</summary>
    public RateLimitLease AttemptAcquire(IPAddress? address, Guid poll) => _limiter.AttemptAcquire((KeyOf(address), poll));

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
