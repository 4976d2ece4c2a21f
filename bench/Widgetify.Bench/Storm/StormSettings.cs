namespace Widgetify.Bench.Storm;

/// <summary>What one storm run does; built from the command line by <see cref="StormCommand"/>.</summary>
internal sealed record StormSettings
{
    /// <summary>Storm rate = this many times the measured capacity (unless --storm-rate asks for more).</summary>
    public const double StormCapacityMultiple = 10;

    /// <summary>Baseline rate = this share of the measured capacity (unless --baseline-rate says otherwise).</summary>
    public const double BaselineCapacityShare = 0.2;

    public const int DefaultClients = 2000;
    public const int DefaultClientTimeoutSeconds = 5;
    public const int DefaultSeed = 20240215;

    public const int DefaultWarmupSeconds = 5;
    public const int DefaultBaselineSeconds = 10;
    public const int DefaultStormSeconds = 15;
    public const int DefaultRecoverySeconds = 15;
    public const int DefaultRampStepSeconds = 3;

    // --quick: all five configurations in 2-3 minutes (each waits up to QuickIncidentResolveAfterSeconds + QuickResolutionMarginSeconds for its incident).
    public const int QuickWarmupSeconds = 2;
    public const int QuickBaselineSeconds = 3;
    public const int QuickStormSeconds = 4;
    public const int QuickRecoverySeconds = 5;
    public const int QuickRampStepSeconds = 1;

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

    /// <summary>Requests per second in warm-up, baseline and recovery; null: 20% of capacity.</summary>
    public double? BaselineRate { get; init; }

    /// <summary>Lower bound of the storm's rate; the rate is max(10 × capacity, this).</summary>
    public double? StormRate { get; init; }

    /// <summary>Skips the capacity ramp and uses this capacity (req/s).</summary>
    public double? Capacity { get; init; }

    /// <summary>Client connections, and so the most requests outstanding at once.</summary>
    public int Clients { get; init; } = DefaultClients;

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(DefaultClientTimeoutSeconds);

    public int WarmupSeconds { get; init; } = DefaultWarmupSeconds;

    public int BaselineSeconds { get; init; } = DefaultBaselineSeconds;

    public int StormSeconds { get; init; } = DefaultStormSeconds;

    public int RecoverySeconds { get; init; } = DefaultRecoverySeconds;

    public IReadOnlyList<int> RampWorkers { get; init; } = [4, 8, 16, 32, 64];

    public TimeSpan RampStep { get; init; } = TimeSpan.FromSeconds(DefaultRampStepSeconds);

    public int DemoWidgets { get; init; } = 2000;

    /// <summary>Seeds the request mix, so every configuration sees the same request sequence.</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Widgetify:Monitoring:Incidents:ResolveAfter for every configuration (the service's default, 30 s, would
    /// leave the incident open long after the bench has stopped looking).</summary>
    public TimeSpan IncidentResolveAfter { get; init; } = TimeSpan.FromSeconds(DefaultIncidentResolveAfterSeconds);

    /// <summary>After the load, how long the bench keeps polling for the incident to resolve before it stops the service.</summary>
    public TimeSpan ResolutionWait { get; init; } = TimeSpan.FromSeconds(DefaultIncidentResolveAfterSeconds + DefaultResolutionMarginSeconds);

    /// <summary>How often /api/alerts and /api/incidents are polled from the storm's onset.</summary>
    public TimeSpan DetectionPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>PostgreSQL's max_connections for the shared embedded server.</summary>
    public int MaxConnections { get; init; } = 100;
}
