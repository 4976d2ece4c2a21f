using Widgetify.Bench.Scale;

namespace Widgetify.Bench.Tests.Scale;

/// <summary>Builds the <c>/api/scaling</c> samples the analyses read, on a timeline of seconds after <see cref="T0"/>.</summary>
internal static class ScaleSamples
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    public static ScalingServer Primary(long reads = 0) => new("primary", "primary", 5432, "ready", 0, reads, null);

    public static ScalingServer Standby(string name, int port, string state = "ready", long reads = 0, double lag = 0) =>
        new(name, "standby", port, state, lag, reads, null);

    public static ScalingDecision Decision(
        double at, string direction = "out", int from = 0, int to = 1, string result = "pending", double? completedAt = null, bool replacement = false) =>
        new(At(at), direction, from, to, "because", result, result == "pending" ? null : "done", completedAt is { } c ? At(c) : null, replacement);

    public static ScalingSample Sample(
        double at, double? saturation = 0.1, IReadOnlyList<ScalingServer>? servers = null, IReadOnlyList<ScalingDecision>? decisions = null,
        bool leading = true) =>
        new(At(at), new ScalingStatus(saturation, leading, servers ?? [Primary()], decisions ?? []));
}
