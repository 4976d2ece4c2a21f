namespace Widgetify.Overload.PoolGovernance;

/// <summary>The clock that stamps leases and decides when they expire. In production it is the database's
/// (<see cref="Database"/>): the instances' own clocks differ (by seconds when NTP is broken or a VM was paused), and a
/// lease one instance wrote must expire at the moment every other instance agrees on, so the one clock they all share
/// decides. The statements then use <c>clock_timestamp()</c>. A test gives the governor its fake clock instead
/// (<see cref="Of"/>): the statements stamp and expire leases by that time, so a test steps a lease past its expiry
/// with <c>Advance</c> rather than waiting for PostgreSQL's clock to get there.</summary>
internal sealed class LeaseClock
{
    private readonly TimeProvider? time;

    private LeaseClock(TimeProvider? time) => this.time = time;

    /// <summary>PostgreSQL's <c>clock_timestamp()</c>, the clock every instance on the database shares.</summary>
    public static LeaseClock Database { get; } = new(null);

    /// <summary>The time of <paramref name="time"/>. Every governor sharing a lease table must use the same one.</summary>
    public static LeaseClock Of(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new(time);
    }

    /// <summary>The time a statement stamps or expires leases by, or null for the database's own clock.</summary>
    public DateTimeOffset? Now() => time?.GetUtcNow();
}
