using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Scale;

/// <summary>Everything one <c>bench scale</c> run measured; serialized as scale.json, rendered as scale.md and scale.svg.
/// Seconds (<c>From</c>, <c>To</c>, <c>Second</c>, marks) count from <see cref="Origin"/>, the start of the first surge.</summary>
internal sealed record ScaleReport
{
    public required string CommandLine { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset Origin { get; init; }

    public MachineFacts? Machine { get; init; }

    public required string ServiceVersion { get; init; }

    /// <summary>The options given to <c>widgetify up</c>.</summary>
    public required string UpArguments { get; init; }

    /// <summary>The bench-only settings given to the service as environment variables.</summary>
    public required IReadOnlyDictionary<string, string> Overrides { get; init; }

    public required double SurgeRate { get; init; }

    public required double ModerateRate { get; init; }

    public required double LowRate { get; init; }

    public required int Clients { get; init; }

    public required int ReadWidgets { get; init; }

    /// <summary>Database:Replicas:MaxLag and PollInterval the service ran with (their defaults): the staleness bound.</summary>
    public required double MaxLagSeconds { get; init; }

    public required double PollIntervalSeconds { get; init; }

    public required double ScaleInWindowSeconds { get; init; }

    /// <summary>How often the bench sampled <c>/api/scaling</c>: what it adds to any moment it read from the samples.</summary>
    public required double SampleIntervalSeconds { get; init; }

    public IReadOnlyList<ScalePhase> Phases { get; init; } = [];

    public IReadOnlyList<ScaleOutResult> ScaleOuts { get; init; } = [];

    public KillResult? Kill { get; init; }

    /// <summary>Requests due from just before the kill until the tail after the standby was seen down.</summary>
    public LoadSummary? KillWindow { get; init; }

    public ConsistencyResult? Consistency { get; init; }

    public ScaleInResult? ScaleIn { get; init; }

    /// <summary>Requests due from the scale-in decision to the end of its action (the drain and the removal).</summary>
    public LoadSummary? DrainWindow { get; init; }

    public IReadOnlyList<RateWindow> Rates { get; init; } = [];

    public IReadOnlyList<ScalingDecision> Decisions { get; init; } = [];

    public IReadOnlyList<ScaleFigure> Figures { get; init; } = [];

    /// <summary>What could not be measured, and why.</summary>
    public IReadOnlyList<string> Misses { get; init; } = [];

    public IReadOnlyList<string> Notes { get; init; } = [];

    public IReadOnlyList<ScaleSecond> Series { get; init; } = [];

    /// <summary>The service's exit code when it exited by itself before the bench stopped it; null while it ran throughout.</summary>
    public int? ServiceExitCode { get; init; }

    public int Polls { get; init; }

    public int PollFailures { get; init; }

    public double SecondsFrom(DateTimeOffset at) => (at - Origin).TotalSeconds;
}

/// <summary>One phase of the run, placed on the report's timeline, with its open-loop load if it had one.</summary>
internal sealed record ScalePhase(string Name, double From, double To, double? Rate, LoadSummary? Load, string What);

/// <summary>One row of the figures table: what was measured against its goal.</summary>
/// <param name="Figure">What is measured.</param>
/// <param name="Measured">The value, with what explains it.</param>
/// <param name="Goal">What it should be.</param>
/// <param name="Met">Null when the goal cannot be judged (not measured is a miss, not null).</param>
internal sealed record ScaleFigure(string Figure, string Measured, string Goal, bool? Met);
