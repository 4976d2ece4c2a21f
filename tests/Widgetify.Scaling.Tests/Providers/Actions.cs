using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;
using Widgetify.Scaling.Signals;

namespace Widgetify.Scaling.Tests.Providers;

/// <summary>Scaling actions as the controller builds them.</summary>
internal static class Actions
{
    public static readonly DateTimeOffset At = new(2025, 3, 1, 12, 0, 5, TimeSpan.Zero);

    public static ScalingAction Out(int from = 1, int to = 2) => Of(ScalingDirection.Out, from, to);

    public static ScalingAction Of(ScalingDirection direction, int from, int to) => new()
    {
        Direction = direction,
        CurrentReplicas = from,
        DesiredReplicas = to,
        MinReplicas = 1,
        MaxReplicas = 4,
        Reason = "saturation above 1 in 10 of the last 10 s",
        At = At,
        Signals = new ReadPathSignals
        {
            At = At,
            ReadPoolUtilization = 0.96,
            ReadAcquireWaitedRatio = 0.2,
            ReadShedPerSecond = 5,
            ReadAdmittedPerSecond = 495,
            ReadP99Seconds = 0.3,
            CpuUtilization = null,
            ReadyReplicas = from,
            LiveReplicas = from,
        },
    };
}
