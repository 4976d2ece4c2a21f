namespace Widgetify.Bench.Scale;

/// <summary>One second of the run on one timeline, for the chart and scale.json: the last sample of the second (standbys
/// by state, saturation, the largest standby lag), the reads the servers served in it, and the generator's successes and
/// p99. Null where nothing measured it (no sample in that second, no load running).</summary>
internal sealed record ScaleSecond(
    int Second, int? Ready, int? Live, double? Saturation, double? MaxLagSeconds, double? PrimaryReads, double? StandbyReads, long? Successes,
    double? P99Ms)
{
    /// <summary>Seconds 0 to <paramref name="seconds"/> - 1 after <paramref name="origin"/>.</summary>
    public static IReadOnlyList<ScaleSecond> Build(
        IReadOnlyList<ScalingSample> samples, IReadOnlyList<PhaseLoad> loads, DateTimeOffset origin, int seconds)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(loads);
        var lastOf = new ScalingSample?[seconds];
        foreach (var sample in samples)
        {
            var second = (int)Math.Floor((sample.At - origin).TotalSeconds);
            if (second >= 0 && second < seconds)
            {
                lastOf[second] = sample; // samples are in time order: the last one of the second wins
            }
        }

        var successes = new long?[seconds];
        var p99 = new double?[seconds];
        foreach (var load in loads)
        {
            var offset = (load.StartedAt - origin).TotalSeconds;
            for (var i = 0; i < Math.Min(load.Recorder.Seconds.Count, (int)Math.Ceiling(load.Seconds)); i++)
            {
                var second = (int)Math.Floor(offset + i);
                if (second >= 0 && second < seconds)
                {
                    var bucket = load.Recorder.Seconds[i];
                    successes[second] = (successes[second] ?? 0) + bucket.Success.Count;
                    p99[second] = bucket.Success.Count > 0 ? Math.Max(p99[second] ?? 0, bucket.Success.MillisecondsAtPercentile(99)) : p99[second];
                }
            }
        }

        var series = new List<ScaleSecond>(seconds);
        ScalingSample? previous = null;
        for (var second = 0; second < seconds; second++)
        {
            var sample = lastOf[second];
            double? primary = null, standbys = null;
            if (sample is not null && previous is not null)
            {
                var elapsed = (sample.At - previous.At).TotalSeconds;
                primary = ReadsBetween(previous, sample, s => !s.IsStandby) / elapsed;
                standbys = ReadsBetween(previous, sample, s => s.IsStandby) / elapsed;
            }

            var standbyStates = sample?.Status.Standbys.Select(s => s.State).ToList();
            series.Add(new ScaleSecond(
                second,
                standbyStates?.Count(s => s == "ready"),
                standbyStates?.Count(s => s is "ready" or "lagging" or "starting"),
                sample?.Status.Saturation,
                sample is null ? null : sample.Status.Standbys.Select(s => s.LagSeconds).DefaultIfEmpty(0).Max(),
                primary,
                standbys,
                successes[second],
                p99[second]));
            previous = sample ?? previous;
        }

        return series;
    }

    /// <summary>Reads served between two samples by the servers <paramref name="which"/> selects; a server that is new in
    /// <paramref name="to"/> counts from zero (it was added in between).</summary>
    private static long ReadsBetween(ScalingSample from, ScalingSample to, Func<ScalingServer, bool> which) =>
        to.Status.Servers.Where(which)
            .Sum(end => Math.Max(0, end.ReadsServed - (from.Status.Servers.FirstOrDefault(end.IsSameServer)?.ReadsServed ?? 0)));
}
