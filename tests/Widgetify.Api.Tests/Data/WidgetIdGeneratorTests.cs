using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Data;

namespace Widgetify.Api.Tests.Data;

public sealed class WidgetIdGeneratorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Next_ManyInSameMillisecond_StrictlyIncreaseInDatabaseOrder()
    {
        var generator = new WidgetIdGenerator(new FakeTimeProvider(Start));

        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.Next()).ToList();

        // PostgreSQL compares uuids byte by byte, i.e. in big-endian order.
        var bytes = ids.Select(id => Convert.ToHexString(id.ToByteArray(bigEndian: true))).ToList();
        bytes.ShouldBe(bytes.Order(StringComparer.Ordinal).ToList());
        bytes.Distinct().Count().ShouldBe(ids.Count);
    }

    [Fact]
    public void Next_ClockStepsBackwards_StillIncreases()
    {
        var clock = new FakeTimeProvider(Start);
        var generator = new WidgetIdGenerator(clock);
        var before = generator.Next();

        clock.AdjustTime(Start.AddSeconds(-5)); // a wall-clock step back (NTP), which SetUtcNow refuses
        var after = generator.Next();

        Compare(after, before).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Next_Always_IsVersion7WithRfcVariantAndTimestamp()
    {
        var generator = new WidgetIdGenerator(new FakeTimeProvider(Start));

        var id = generator.Next();

        id.Version.ShouldBe(7);
        (id.Variant & 0b1100).ShouldBe(0b1000);
        var bytes = id.ToByteArray(bigEndian: true);
        var milliseconds = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        milliseconds.ShouldBe(Start.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void Compose_LargestCounter_KeepsVersionAndVariantBits()
    {
        var max = (UInt128.One << 74) - 1;

        var id = WidgetIdGenerator.Compose(1, max);

        id.Version.ShouldBe(7);
        Convert.ToHexString(id.ToByteArray(bigEndian: true)).ShouldBe("000000000001" + "7FFF" + "BFFFFFFFFFFFFFFF");
    }

    private static int Compare(Guid a, Guid b) =>
        string.CompareOrdinal(Convert.ToHexString(a.ToByteArray(bigEndian: true)), Convert.ToHexString(b.ToByteArray(bigEndian: true)));
}
