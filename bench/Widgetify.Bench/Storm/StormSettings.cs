namespace Widgetify.Bench.Storm;

/// <summary>What one storm run does; built from the command line by <see cref="StormCommand"/>.</summary>
internal sealed record StormSettings
{
    public const double DefaultOverload = 5;
    public const double DefaultBaselinePeakShare = 0.3;

    /// <summary>The peak ramps' closed-loop workers. Up to 256: pinned to one core, a service answers a request in tens of
    /// milliseconds, and 64 workers then measured less than the same service served under the open-loop storm.</summary>
    public static readonly IReadOnlyList<int> DefaultRampWorkers = [8, 16, 32, 64, 128, 256];

    /// <summary>Quick ramps: three steps (a best of three is enough to tell a peak within a short run).</summary>
    public static readonly IReadOnlyList<int> QuickRampWorkers = [16, 64, 256];

    public const int DefaultClients = 2000;
    public const int DefaultClientTimeoutSeconds = 5;
    public const int DefaultSeed = 20240215;

    public const int DefaultWarmupSeconds = 5;
    public const int DefaultBaselineSeconds = 10;
    public const int DefaultStormSeconds = 15;
    public const int DefaultRecoverySeconds = 15;
    public const int DefaultRampStepSeconds = 3;

    // --quick: each configuration waits up to QuickIncidentResolveAfterSeconds + QuickResolutionMarginSeconds for its incident
    // to resolve, and does not wait for an earlier configuration's to resolve first (IncidentWait).
    public const int QuickWarmupSeconds = 2;
    public const int QuickBaselineSeconds = 3;
    public const int QuickStormSeconds = 5;
    public const int QuickRecoverySeconds = 5;
    public const int QuickRampStepSeconds = 2;

    // Detection: the incident's ResolveAfter given to every configuration, and how long polling goes on after the load
    // for the incident to resolve (ResolveAfter + this margin, for the alerts' own windows and ResolveAfter to pass).
    public const int DefaultIncidentResolveAfterSeconds = 10;
    public const int QuickIncidentResolveAfterSeconds = 5;
    public const int DefaultResolutionMarginSeconds = 15;
    public const int QuickResolutionMarginSeconds = 10;

    /// <summary>Path of widgetify.dll, the service under test.</summary>
    public required string ServiceDll { get; init; }

    /// <summary>Where storm.md, storm.json, storm.svg and the logs go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>As the user typed it, for the report.</summary>
    public string CommandLine { get; init; } = "./widgetify bench storm";

    public IReadOnlyList<int> Configurations { get; init; } = [1, 2, 3, 4, 5];

    /// <summary>The storms, each its own shape (the command's default is all five; the mixed storm alone here, as before
    /// the shapes).</summary>
    public IReadOnlyList<StormShape> Shapes { get; init; } = [StormShape.Mixed];

    /// <summary>Pin the generator to core 0 and the system under test to the others (the command's default; off here, so
    /// that a test running the storm in its own process does not pin the test host).</summary>
    public bool Pin { get; init; }

    /// <summary>Storm rate of each shape = this many times the reference configuration's closed-loop peak of the shape
    /// (unless --storm-rate asks for more).</summary>
    public double Overload { get; init; } = DefaultOverload;

    /// <summary>Baseline rate of each shape = this share of the reference configuration's peak of the shape.</summary>
    public double BaselinePeakShare { get; init; } = DefaultBaselinePeakShare;

    /// <summary>Requests per second in warm-up, baseline and recovery; null: <see cref="BaselinePeakShare"/> of each shape's reference peak.</summary>
    public double? BaselineRate { get; init; }

    /// <summary>Lower bound of the storm's rate; the rate is max(<see cref="Overload"/> × the shape's reference peak, this).</summary>
    public double? StormRate { get; init; }

    /// <summary>Skips the peak ramps and uses this peak (req/s) for every configuration and shape.</summary>
    public double? Capacity { get; init; }

    /// <summary>Client connections, and so the most requests outstanding at once.</summary>
    public int Clients { get; init; } = DefaultClients;

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(DefaultClientTimeoutSeconds);

    public int WarmupSeconds { get; init; } = DefaultWarmupSeconds;

    public int BaselineSeconds { get; init; } = DefaultBaselineSeconds;

    public int StormSeconds { get; init; } = DefaultStormSeconds;

    public int RecoverySeconds { get; init; } = DefaultRecoverySeconds;

    public IReadOnlyList<int> RampWorkers { get; init; } = DefaultRampWorkers;

    public TimeSpan RampStep { get; init; } = TimeSpan.FromSeconds(DefaultRampStepSeconds);

    /// <summary>Widgets seeded for the demo tenant: the random shape chooses among all of them, so they must be more than
    /// a cache holds (the command asks for 20,000).</summary>
    public int DemoWidgets { get; init; } = 2000;

    /// <summary>Seeds the request mix, so every configuration sees the same request sequence.</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Widgetify:Monitoring:Incidents:ResolveAfter for every configuration (the service's default, 30 s, would
    /// leave the incident open long after the bench has stopped looking).</summary>
    public TimeSpan IncidentResolveAfter { get; init; } = TimeSpan.FromSeconds(DefaultIncidentResolveAfterSeconds);

    /// <summary>After the load, how long the bench keeps polling for the incident to resolve before it stops the service.</summary>
    public TimeSpan ResolutionWait { get; init; } = TimeSpan.FromSeconds(DefaultIncidentResolveAfterSeconds + DefaultResolutionMarginSeconds);

    /// <summary>Before the detection-polled storm, how long to wait at most for an incident an earlier configuration left
    /// open to resolve (else this configuration's alerts join it); null: ResolveAfter + 15 s. --quick: zero, since a
    /// 5 s storm's incident seldom resolves within a quick run and the wait cost 20 s per configuration.</summary>
    public TimeSpan? IncidentWait { get; init; }

    /// <summary>How often /api/alerts and /api/incidents are polled from the storm's onset.</summary>
    public TimeSpan DetectionPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>PostgreSQL's max_connections for the shared embedded server.</summary>
    public int MaxConnections { get; init; } = 100;
}
