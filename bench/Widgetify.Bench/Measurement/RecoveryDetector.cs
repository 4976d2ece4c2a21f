namespace Widgetify.Bench.Measurement;

/// <summary>One second after the storm, as the recovery rule sees it.</summary>
/// <param name="Total">Requests due in that second (sent or not).</param>
/// <param name="Success">How many of them succeeded.</param>
/// <param name="P99Milliseconds">p99 latency of the successful ones.</param>
internal readonly record struct RecoverySecond(long Total, long Success, double P99Milliseconds);

/// <summary>
/// "Recovered" means: from some second on, <see cref="ConsecutiveSeconds"/> seconds in a row each have at least
/// <see cref="MinSuccessRatio"/> successes and a p99 within <see cref="MaxP99Factor"/> times the baseline p99.
/// The answer is that first second, counted from the end of the storm (0: healthy at once).
/// </summary>
internal static class RecoveryDetector
{
    public const int ConsecutiveSeconds = 3;
    public const double MinSuccessRatio = 0.99;
    public const double MaxP99Factor = 2.0;

    /// <returns>Seconds after the storm at which recovery began, or null when it did not within the data.</returns>
    public static int? SecondsToRecover(IReadOnlyList<RecoverySecond> afterStorm, double baselineP99Milliseconds)
    {
        ArgumentNullException.ThrowIfNull(afterStorm);
        var run = 0;
        for (var i = 0; i < afterStorm.Count; i++)
        {
            run = IsHealthy(afterStorm[i], baselineP99Milliseconds) ? run + 1 : 0;
            if (run == ConsecutiveSeconds)
            {
                return i - ConsecutiveSeconds + 1;
            }
        }

        return null;
    }

    /// <summary>A second with no requests proves nothing, so it is not healthy.</summary>
    public static bool IsHealthy(RecoverySecond second, double baselineP99Milliseconds) =>
        second.Total > 0
        && second.Success >= MinSuccessRatio * second.Total
        && second.P99Milliseconds <= MaxP99Factor * baselineP99Milliseconds;
}
