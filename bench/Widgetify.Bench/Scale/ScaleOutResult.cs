namespace Widgetify.Bench.Scale;

/// <summary>
/// What a surge showed, read from the <c>/api/scaling</c> samples: the first sample whose saturation is above 1 (the
/// read path past its target), the first <c>out</c> decision made in the phase, and the first sample in which a
/// standby that was not there when the phase began has served a read. Seconds count from that first saturated sample,
/// so they hold the autoscaler's window, its decision, the standby's base backup and start, and the router's checks;
/// the sampling adds up to one interval (250 ms) to each.
/// </summary>
internal sealed record ScaleOutResult
{
    public required string Phase { get; init; }

    public required DateTimeOffset PhaseStart { get; init; }

    /// <summary>The first sample of the phase with saturation above 1.</summary>
    public DateTimeOffset? FirstSaturatedAt { get; init; }

    public ScalingDecision? Decision { get; init; }

    /// <summary>The standby that served the first read (name and port).</summary>
    public string? NewStandby { get; init; }

    public DateTimeOffset? FirstReadAt { get; init; }

    /// <summary>Samples of the phase in which the instance did not lead the autoscaler (its lease lapsed).</summary>
    public int SamplesNotLeading { get; init; }

    public double? SecondsToSaturated => Seconds(PhaseStart, FirstSaturatedAt);

    public double? SecondsToDecision => FirstSaturatedAt is { } s ? Seconds(s, Decision?.At) : null;

    /// <summary>From the decision to its action's end (the standby streams and is in the router).</summary>
    public double? SecondsDecisionToCompleted => Decision is { } d ? Seconds(d.At, d.CompletedAt) : null;

    public double? SecondsToFirstRead => FirstSaturatedAt is { } s ? Seconds(s, FirstReadAt) : null;

    /// <summary>True once everything the phase waits for has been seen.</summary>
    public bool IsComplete => FirstReadAt is not null;

    /// <summary>What was not seen, in the order it was expected; null when complete.</summary>
    public string? Missing =>
        FirstSaturatedAt is null ? "no sample showed saturation above 1"
        : Decision is null ? "no scale-out decision"
        : FirstReadAt is null ? (Decision.Result == "failed" ? $"the scale-out failed: {Decision.Message}" : "no read served by a new standby")
        : null;

    /// <summary>Reads the samples of a phase that began at <paramref name="phaseStart"/>.</summary>
    public static ScaleOutResult Analyze(string phase, IReadOnlyList<ScalingSample> samples, DateTimeOffset phaseStart)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var before = samples.LastOrDefault(s => s.At <= phaseStart) ?? (samples.Count > 0 ? samples[0] : null);
        var known = before?.Status.Standbys.ToList() ?? [];
        var during = samples.Where(s => s.At >= phaseStart).ToList();
        var saturated = during.FirstOrDefault(s => s.Status.Saturation > 1);
        var decision = LatestStateOf(during.SelectMany(s => s.Status.Decisions).Where(d => d.Direction == "out" && d.At >= phaseStart)
            .OrderBy(d => d.At).FirstOrDefault(), during);
        ScalingSample? read = null;
        ScalingServer? standby = null;
        if (decision is not null)
        {
            foreach (var sample in during.Where(s => s.At >= decision.At))
            {
                standby = sample.Status.Standbys.FirstOrDefault(s => s.ReadsServed > 0 && !known.Any(k => k.IsSameServer(s)));
                if (standby is not null)
                {
                    read = sample;
                    break;
                }
            }
        }

        return new ScaleOutResult
        {
            Phase = phase,
            PhaseStart = phaseStart,
            FirstSaturatedAt = saturated?.At,
            Decision = decision,
            SamplesNotLeading = during.Count(s => !s.Status.Leading),
            NewStandby = standby is null ? null : FormattableString.Invariant($"{standby.Name} (port {standby.Port})"),
            FirstReadAt = read?.At,
        };
    }

    /// <summary>The decision as the last sample that lists it shows it (pending at first, then its result).</summary>
    internal static ScalingDecision? LatestStateOf(ScalingDecision? decision, IReadOnlyList<ScalingSample> samples)
    {
        if (decision is null)
        {
            return null;
        }

        for (var i = samples.Count - 1; i >= 0; i--)
        {
            if (samples[i].Status.Decisions.FirstOrDefault(d => d.IsSameDecision(decision)) is { } latest)
            {
                return latest;
            }
        }

        return decision;
    }

    internal static double? Seconds(DateTimeOffset from, DateTimeOffset? to) => to is { } t ? (t - from).TotalSeconds : null;
}
