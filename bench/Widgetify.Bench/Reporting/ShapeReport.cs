namespace Widgetify.Bench.Reporting;

/// <summary>One storm shape across every configuration: the same offered load for all, each judged against its own
/// closed-loop peak and against Widgetify's (issue 15).</summary>
internal sealed record ShapeReport
{
    public required string Shape { get; init; }

    public required string Description { get; init; }

    /// <summary>The configuration whose peak sets the rates (Widgetify's, 5, when it ran).</summary>
    public required int ReferenceNumber { get; init; }

    /// <summary>That configuration's closed-loop peak of this shape (req/s).</summary>
    public required double ReferencePeak { get; init; }

    public required double BaselineRate { get; init; }

    public required double OfferedRate { get; init; }

    public required IReadOnlyList<ShapeRun> Runs { get; init; }

    /// <summary>Guarded (5) against unguarded (6) on this shape; null when either did not run.</summary>
    public GuardOverhead? GuardOverhead { get; init; }

    /// <summary>Issue 15's goals for Widgetify on this shape, each met, missed or not judged.</summary>
    public IReadOnlyList<TargetCheck> Goals { get; init; } = [];
}

/// <summary>One configuration's run of one shape.</summary>
internal sealed record ShapeRun
{
    public required int Number { get; init; }

    public required string Name { get; init; }

    public string? Failure { get; init; }

    /// <summary>Best 2xx goodput of this configuration's own closed-loop ramp on this shape (req/s).</summary>
    public double Peak { get; init; }

    /// <summary>False when given with --capacity instead of measured.</summary>
    public bool PeakMeasured { get; init; } = true;

    public IReadOnlyList<RampStepResult> PeakSteps { get; init; } = [];

    public PhaseResult? Baseline { get; init; }

    public PhaseResult? Storm { get; init; }

    public PhaseResult? Recovery { get; init; }

    public int? SecondsToRecover { get; init; }

    public int PeakPgConnections { get; init; }

    /// <summary>The budget this configuration's connections are judged against.</summary>
    public int Budget { get; init; }

    /// <summary>Cores used per phase ("baseline", "storm", "recovery") per group ("generator", "service", "postgres", "pgbouncer").</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Cores { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, double>>();

    public IReadOnlyList<SecondResult> Series { get; init; } = [];

    public bool Succeeded => Failure is null && Storm is not null && Baseline is not null && Recovery is not null;

    /// <summary>Overload factor k = offered / peak.</summary>
    public double? K => Succeeded && Peak > 0 ? Storm!.OfferedRate / Peak : null;

    /// <summary>What could have been served: min(peak, offered).</summary>
    public double Servable => Succeeded ? ShapeFigures.Servable(Peak, Storm!.OfferedRate) : 0;

    /// <summary>Storm goodput / min(peak, offered).</summary>
    public double? GoodputShare => Succeeded ? ShapeFigures.Share(Storm!.Goodput, Servable) : null;

    /// <summary>Served p99 in the storm / unloaded (baseline) p99.</summary>
    public double? P99Ratio => Succeeded ? ShapeFigures.Share(Storm!.P99Ms, Baseline!.P99Ms) : null;

    /// <summary>Errors other than 503 over baseline, storm and recovery, "not sent" included.</summary>
    public long ErrorsOther => Succeeded ? Baseline!.Errors + Storm!.Errors + Recovery!.Errors : 0;

    /// <summary>Of <see cref="ErrorsOther"/>, requests never sent because every client connection was busy.</summary>
    public long NotSent => Succeeded ? Baseline!.NotSent + Storm!.NotSent + Recovery!.NotSent : 0;

    /// <summary>Service CPU milliseconds per successful request in the baseline (normal load).</summary>
    public double? ServiceCpuMsPerRequest =>
        Succeeded && Baseline!.Goodput > 0 && Cores.TryGetValue("baseline", out var cores) && cores.TryGetValue("service", out var service)
            ? 1000 * service / Baseline.Goodput
            : null;
}

/// <summary>The guard's cost: Widgetify (5) against the same service with admission control off (6), at normal load
/// (the baseline, the same offered rate for both) and at saturation (each one's closed-loop peak).</summary>
internal sealed record GuardOverhead(
    double GuardedP50Ms, double UnguardedP50Ms, double GuardedP99Ms, double UnguardedP99Ms,
    double? GuardedCpuMsPerRequest, double? UnguardedCpuMsPerRequest, double GuardedPeak, double UnguardedPeak)
{
    /// <summary>Guarded / unguarded service CPU per request at normal load; above 1 is overhead.</summary>
    public double? CpuRatio => GuardedCpuMsPerRequest is { } g && UnguardedCpuMsPerRequest is { } u ? ShapeFigures.Share(g, u) : null;

    public double? P50Ratio => ShapeFigures.Share(GuardedP50Ms, UnguardedP50Ms);

    public double? P99Ratio => ShapeFigures.Share(GuardedP99Ms, UnguardedP99Ms);

    /// <summary>Guarded / unguarded closed-loop peak; below 1 is overhead.</summary>
    public double? PeakRatio => ShapeFigures.Share(GuardedPeak, UnguardedPeak);
}

/// <summary>The arithmetic of the shape tables, pure.</summary>
internal static class ShapeFigures
{
    /// <summary>What a service could have served: no more than offered, no more than it serves at its best.</summary>
    public static double Servable(double peak, double offered) => Math.Max(0, Math.Min(peak, offered));

    /// <summary><paramref name="part"/> / <paramref name="whole"/>, null when the whole is not positive.</summary>
    public static double? Share(double part, double whole) => whole > 0 ? part / whole : null;
}
