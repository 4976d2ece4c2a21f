using Microsoft.Extensions.Time.Testing;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Tests.Law;

/// <summary>Builds recorded read-path seconds on a fake clock: each call appends seconds ending at the clock's new time,
/// with the saturation carried by the read pool's utilisation (saturation × its target), or no record at all.</summary>
internal sealed class RecordedSeconds(ScalingOptions options, int liveReplicas = 1)
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public List<ReadPathSignals> History { get; } = [];

    public int LiveReplicas { get; set; } = liveReplicas;

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Appends <paramref name="seconds"/> seconds at saturation <paramref name="saturation"/>.</summary>
    public RecordedSeconds Add(int seconds, double saturation)
    {
        for (var i = 0; i < seconds; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            History.Add(At(saturation));
        }

        return this;
    }

    /// <summary>Appends <paramref name="seconds"/> seconds with no record (the sampler missed them).</summary>
    public RecordedSeconds Missing(int seconds)
    {
        Clock.Advance(TimeSpan.FromSeconds(seconds));
        return this;
    }

    /// <summary>Appends one second with the given signals (the time is set here).</summary>
    public RecordedSeconds Add(ReadPathSignals signals)
    {
        Clock.Advance(TimeSpan.FromSeconds(1));
        History.Add(signals with { At = Now, LiveReplicas = LiveReplicas });
        return this;
    }

    public ReadPathSignals At(double saturation) => new()
    {
        At = Now,
        ReadPoolUtilization = saturation * options.ReadPoolUtilizationTarget,
        ReadAdmittedPerSecond = 100,
        ReadP99Seconds = 0.01,
        ReadyReplicas = LiveReplicas,
        LiveReplicas = LiveReplicas,
    };
}
