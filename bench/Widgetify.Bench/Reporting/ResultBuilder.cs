using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Reporting;

/// <summary>Turns a <see cref="LoadRecorder"/>'s buckets into phase aggregates, a time series and the
/// recovery time.</summary>
internal static class ResultBuilder
{
    public static PhaseResult Phase(LoadRecorder recorder, Phase phase, int fromSecond, int seconds, double offeredRate)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var merged = recorder.Merge(fromSecond, fromSecond + seconds);
        var total = merged.Total;
        var notSent = merged.Count(Outcome.NotSent);
        return new PhaseResult
        {
            Phase = phase.ToString().ToLowerInvariant(),
            Seconds = seconds,
            OfferedRate = offeredRate,
            SentRate = (total - notSent) / (double)seconds,
            Goodput = merged.Count(Outcome.Success) / (double)seconds,
            Requests = total,
            Successes = merged.Count(Outcome.Success),
            Shed = merged.Count(Outcome.Shed),
            ShedWithRetryAfter = merged.ShedWithRetryAfter,
            Throttled = merged.Count(Outcome.Throttled),
            ErrorStatuses = merged.Count(Outcome.ErrorStatus),
            Timeouts = merged.Count(Outcome.Timeout),
            ConnectionErrors = merged.Count(Outcome.ConnectionError),
            NotSent = notSent,
            SuccessPercent = Percent(merged.Count(Outcome.Success), total),
            ShedPercent = Percent(merged.Count(Outcome.Shed), total),
            ErrorPercent = Percent(merged.Errors, total),
            P50Ms = merged.Success.MillisecondsAtPercentile(50),
            P99Ms = merged.Success.MillisecondsAtPercentile(99),
            P999Ms = merged.Success.MillisecondsAtPercentile(99.9),
            MaxMs = merged.Success.Max / 1000.0,
            ShedP99Ms = merged.Shed.MillisecondsAtPercentile(99),
            DispatchLagP99Ms = recorder.DispatchLag(phase).MillisecondsAtPercentile(99),
            PeakPgConnections = Math.Max(0, merged.PeakPgConnections),
        };
    }

    /// <summary>Seconds after the storm until recovery: see <see cref="RecoveryDetector"/>.</summary>
    public static int? SecondsToRecover(LoadRecorder recorder, int recoveryStart, double baselineP99Ms)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var after = new List<RecoverySecond>();
        for (var i = recoveryStart; i < recorder.Seconds.Count; i++)
        {
            var bucket = recorder.Seconds[i];
            after.Add(new RecoverySecond(bucket.Total, bucket.Count(Outcome.Success), bucket.Success.MillisecondsAtPercentile(99)));
        }

        return RecoveryDetector.SecondsToRecover(after, baselineP99Ms);
    }

    public static IReadOnlyList<SecondResult> Series(LoadRecorder recorder, int baselineSeconds, int stormSeconds)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var series = new List<SecondResult>(recorder.Seconds.Count);
        for (var i = 0; i < recorder.Seconds.Count; i++)
        {
            var bucket = recorder.Seconds[i];
            var phase = i < baselineSeconds ? Load.Phase.Baseline : i < baselineSeconds + stormSeconds ? Load.Phase.Storm : Load.Phase.Recovery;
            series.Add(new SecondResult(
                i,
                phase.ToString().ToLowerInvariant(),
                bucket.Total,
                bucket.Count(Outcome.Success),
                bucket.Count(Outcome.Shed),
                bucket.Errors,
                bucket.Success.Count > 0 ? bucket.Success.MillisecondsAtPercentile(99) : null,
                bucket.PeakPgConnections >= 0 ? bucket.PeakPgConnections : null));
        }

        return series;
    }

    private static double Percent(long part, long total) => total == 0 ? 0 : 100.0 * part / total;
}
