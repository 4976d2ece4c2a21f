namespace Widgetify.Bench.Reporting;

/// <summary>Everything one storm run measured; serialized as storm.json, rendered as storm.md and storm.svg.</summary>
internal sealed record StormReport
{
    public required string CommandLine { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required MachineFacts Machine { get; init; }

    /// <summary>Which build of the service ran (git commit, and whether src/ had uncommitted changes).</summary>
    public required string ServiceVersion { get; init; }

    public required CapacityResult Capacity { get; init; }

    public required double BaselineRate { get; init; }

    public required double StormRate { get; init; }

    public required int Clients { get; init; }

    public required double ClientTimeoutSeconds { get; init; }

    public required int WarmupSeconds { get; init; }

    public required int BaselineSeconds { get; init; }

    public required int StormSeconds { get; init; }

    public required int RecoverySeconds { get; init; }

    public required IReadOnlyList<ConfigurationResult> Configurations { get; init; }

    /// <summary>Checks of configuration 5 against the overload targets; empty when it was not run.</summary>
    public required IReadOnlyList<TargetCheck> Targets { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Where the generator and the system under test ran (issue 15's fairness of CPU).</summary>
    public string Affinity { get; init; } = "not pinned";

    /// <summary>Times the reference peak each shape's storm offers.</summary>
    public double Overload { get; init; }

    /// <summary>One storm per shape, every configuration in each (issue 15).</summary>
    public IReadOnlyList<ShapeReport> Shapes { get; init; } = [];
}

/// <summary>The machine the run measured.</summary>
internal sealed record MachineFacts(
    int Cores, string OperatingSystem, string DotNet, string PostgresVersion, int MaxConnections, int SuperuserReservedConnections);

/// <summary>The closed-loop capacity ramp (or a capacity given with --capacity).</summary>
/// <param name="RequestsPerSecond">Best goodput of the ramp.</param>
/// <param name="Measured">False when given on the command line.</param>
/// <param name="Steps">The ramp's steps.</param>
internal sealed record CapacityResult(double RequestsPerSecond, bool Measured, IReadOnlyList<RampStepResult> Steps);

/// <summary>One ramp step.</summary>
internal sealed record RampStepResult(int Workers, double Seconds, long Successes, long Failures, double Goodput);

/// <summary>One configuration's run.</summary>
internal sealed record ConfigurationResult
{
    public required int Number { get; init; }

    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>Environment variables the service ran with (beyond the database URL).</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>Why the configuration could not be measured, or null.</summary>
    public string? Failure { get; init; }

    public PhaseResult? Baseline { get; init; }

    public PhaseResult? Storm { get; init; }

    public PhaseResult? Recovery { get; init; }

    /// <summary>Seconds after the storm until recovery (see RecoveryDetector), null when not within the phase.</summary>
    public int? SecondsToRecover { get; init; }

    /// <summary>Most PostgreSQL client backends while the load ran (warm-up included), the bench's sampler excluded.</summary>
    public int PeakPgConnections { get; init; }

    /// <summary>Most backends with this configuration's application_name.</summary>
    public int PeakOwnConnections { get; init; }

    /// <summary>The connection budget the service reported on /health/ready, when it reports one.</summary>
    public int? ReportedBudget { get; init; }

    /// <summary>Responses per HTTP status over the recorded phases.</summary>
    public IReadOnlyDictionary<int, long> StatusCounts { get; init; } = new Dictionary<int, long>();

    /// <summary>Connections to the service that PostgreSQL still had when it stopped, terminated by the bench.</summary>
    public int LeftoverConnectionsTerminated { get; init; }

    public IReadOnlyList<SecondResult> Series { get; init; } = [];

    /// <summary>Wall-clock seconds of the load (warm-up to the end of the drain).</summary>
    public double LoadSeconds { get; init; }

    /// <summary>CPU seconds the bench process (load generator, sampler and detection poller) used during the load: on two shared
    /// cores, whatever it takes the service and PostgreSQL do not get.</summary>
    public double GeneratorCpuSeconds { get; init; }

    /// <summary>CPU seconds the service process used during the load.</summary>
    public double ServiceCpuSeconds { get; init; }

    /// <summary>What the service's monitoring made of the storm: first alert, incident, postmortem draft.</summary>
    public DetectionResult? Detection { get; init; }

    /// <summary>The detection targets (see <see cref="Storm.StormTargets.EvaluateDetection"/>) for this configuration.</summary>
    public IReadOnlyList<TargetCheck> DetectionTargets { get; init; } = [];

    public bool Succeeded => Failure is null && Storm is not null;
}

/// <summary>Aggregates of one phase.</summary>
internal sealed record PhaseResult
{
    public required string Phase { get; init; }

    public required int Seconds { get; init; }

    /// <summary>Configured arrival rate.</summary>
    public required double OfferedRate { get; init; }

    /// <summary>Requests actually sent per second (offered minus not-sent).</summary>
    public required double SentRate { get; init; }

    /// <summary>Successful requests per second.</summary>
    public required double Goodput { get; init; }

    public required long Requests { get; init; }

    public required long Successes { get; init; }

    public required long Shed { get; init; }

    public required long ShedWithRetryAfter { get; init; }

    /// <summary>429s: an API key over its write rate limit (off in the service the bench starts; on against a deployment
    /// that keeps it): neither shed nor errors.</summary>
    public long Throttled { get; init; }

    public required long ErrorStatuses { get; init; }

    public required long Timeouts { get; init; }

    public required long ConnectionErrors { get; init; }

    public required long NotSent { get; init; }

    public required double SuccessPercent { get; init; }

    public required double ShedPercent { get; init; }

    public required double ErrorPercent { get; init; }

    public required double P50Ms { get; init; }

    public required double P99Ms { get; init; }

    public required double P999Ms { get; init; }

    public required double MaxMs { get; init; }

    public required double ShedP99Ms { get; init; }

    /// <summary>How late the generator itself sent requests (p99); large values mean the client was the bottleneck.</summary>
    public required double DispatchLagP99Ms { get; init; }

    public required int PeakPgConnections { get; init; }

    public long Errors => ErrorStatuses + Timeouts + ConnectionErrors + NotSent;
}

/// <summary>One second of the time series (second 0 is the first of the baseline).</summary>
internal sealed record SecondResult(int Second, string Phase, long Requests, long Successes, long Shed, long Errors, double? P99Ms, int? PgConnections);

/// <summary>One overload target and whether configuration 5 met it.</summary>
/// <param name="Target">What is required.</param>
/// <param name="Met">True, false, or null when it could not be judged.</param>
/// <param name="Detail">The measured values behind the verdict.</param>
internal sealed record TargetCheck(string Target, bool? Met, string Detail);
