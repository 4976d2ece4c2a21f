using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Widgetify.Api.Data;

/// <summary>UUIDv7 ids that strictly increase within this process, so "oldest first" (id order) holds even
/// for widgets created in the same millisecond. <see cref="Guid.CreateVersion7()"/> fills the 74 bits after
/// the timestamp at random, which orders same-millisecond ids arbitrarily; here, when the clock has not moved
/// past the last id (same millisecond, or a clock step backwards), the last id's 74 bits are incremented
/// instead (RFC 9562 section 6.2, method 2), carrying into the timestamp if they ever overflow.</summary>
internal sealed class WidgetIdGenerator(TimeProvider timeProvider)
{
    private const int CounterBits = 74;          // rand_a (12 bits) and rand_b (62 bits) together
    private static readonly UInt128 CounterLimit = UInt128.One << CounterBits;
    private readonly Lock _gate = new();
    private ulong _lastMilliseconds;
    private UInt128 _lastCounter;

    public Guid Next()
    {
        var now = (ulong)timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            if (now > _lastMilliseconds)
            {
                _lastMilliseconds = now;
                _lastCounter = RandomCounter();
            }
            else if (++_lastCounter == CounterLimit)
            {
                _lastMilliseconds++;
                _lastCounter = 0;
            }

            return Compose(_lastMilliseconds, _lastCounter);
        }
    }

    internal static Guid Compose(ulong milliseconds, UInt128 counter)
    {
        var randA = (ulong)(counter >> 62) & 0xFFF;
        var randB = (ulong)(counter & ((UInt128.One << 62) - 1));
        var high = (milliseconds << 16) | (0x7UL << 12) | randA;   // 48-bit time, version 7, rand_a
        var low = (0b10UL << 62) | randB;                          // RFC 4122 variant, rand_b
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], low);
        return new Guid(bytes, bigEndian: true);
    }

    private static UInt128 RandomCounter()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        // Keep the top bit clear, so a run of increments within one millisecond has room before it carries.
        return BinaryPrimitives.ReadUInt128BigEndian(bytes) & ((UInt128.One << (CounterBits - 1)) - 1);
    }
}
