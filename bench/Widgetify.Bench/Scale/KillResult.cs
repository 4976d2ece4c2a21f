namespace Widgetify.Bench.Scale;

/// <summary>A standby killed with <c>kill -9</c> (its postmaster): when <c>/api/scaling</c> first showed it down (or no
/// longer listed it), and whether a replacement was decided after it.</summary>
internal sealed record KillResult
{
    public required string Standby { get; init; }

    public required int Port { get; init; }

    public required DateTimeOffset KilledAt { get; init; }

    /// <summary>The first sample after the kill that shows the standby down or no longer lists it.</summary>
    public DateTimeOffset? DownAt { get; init; }

    /// <summary>A decision after the kill that replaced it; with a minimum of 0 standbys none is expected.</summary>
    public ScalingDecision? Replacement { get; init; }

    public double? SecondsToDown => ScaleOutResult.Seconds(KilledAt, DownAt);

    public static KillResult Analyze(IReadOnlyList<ScalingSample> samples, ScalingServer killed, DateTimeOffset killedAt)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(killed);
        var after = samples.Where(s => s.At >= killedAt).ToList();
        var down = after.FirstOrDefault(s => s.Status.Standbys.FirstOrDefault(killed.IsSameServer) is not { } seen || seen.State == "down");
        var replacement = after.SelectMany(s => s.Status.Decisions).Where(d => d.Replacement && d.At >= killedAt).OrderBy(d => d.At).FirstOrDefault();
        return new KillResult
        {
            Standby = killed.Name,
            Port = killed.Port,
            KilledAt = killedAt,
            DownAt = down?.At,
            Replacement = ScaleOutResult.LatestStateOf(replacement, after),
        };
    }
}
