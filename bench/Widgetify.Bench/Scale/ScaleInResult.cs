namespace Widgetify.Bench.Scale;

/// <summary>
/// The scale-in after the surges, read from the samples: the first <c>in</c> decision of the phase, how long after the
/// low load began and after the last action ended it came (the law needs <c>ScaleInWindow</c> of quiet seconds measured
/// after the last action), and how long its drain and removal took.
/// </summary>
internal sealed record ScaleInResult
{
    public required DateTimeOffset PhaseStart { get; init; }

    /// <summary>When the last action before the phase ended (its completedAt); null when none had.</summary>
    public DateTimeOffset? LastActionEndedAt { get; init; }

    public ScalingDecision? Decision { get; init; }

    /// <summary>From the start of the low load to the decision.</summary>
    public double? SecondsToDecision => ScaleOutResult.Seconds(PhaseStart, Decision?.At);

    public double? SecondsAfterLastAction => LastActionEndedAt is { } end ? ScaleOutResult.Seconds(end, Decision?.At) : null;

    /// <summary>From the decision to its end: the standby leaves rotation, its reads finish, it is stopped and removed.</summary>
    public double? DrainSeconds => Decision is { } d ? ScaleOutResult.Seconds(d.At, d.CompletedAt) : null;

    public bool IsComplete => Decision?.IsCompleted == true;

    public static ScaleInResult Analyze(IReadOnlyList<ScalingSample> samples, DateTimeOffset phaseStart)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var decisions = samples.SelectMany(s => s.Status.Decisions).ToList();
        var first = decisions.Where(d => d.Direction == "in" && d.At >= phaseStart).OrderBy(d => d.At).FirstOrDefault();
        var lastEnd = decisions.Where(d => d.At < phaseStart && d.CompletedAt is not null).Select(d => d.CompletedAt).Max();
        return new ScaleInResult
        {
            PhaseStart = phaseStart,
            LastActionEndedAt = lastEnd,
            Decision = ScaleOutResult.LatestStateOf(first, samples),
        };
    }
}
