using System.Globalization;

namespace Widgetify.Bench.Scale;

/// <summary>What one <c>bench scale</c> run does; built from the command line by <see cref="ScaleCommand"/>.</summary>
internal sealed record ScaleSettings
{
    /// <summary>Reads/s of the surges: about twice the 1,300 to 2,000 reads/s the whole system (service, primary, and the
    /// generator on the same two cores) serves, so that admission control sheds in every second and the read path is
    /// saturated beyond doubt; at 2,000 a quiet machine kept up with all but 1.5% and the saturation hovered around 1, so
    /// nothing was decided. A 503 costs little, so the surplus mostly costs the generator's own CPU.</summary>
    public const double DefaultSurgeRate = 4000;

    /// <summary>Reads/s while a standby is killed: well within what one server serves, so that any error is the kill's.</summary>
    public const double DefaultModerateRate = 300;

    /// <summary>Reads/s while waiting for the scale-in: low enough that every second is below half the target.</summary>
    public const double DefaultLowRate = 50;

    public const int DefaultClients = 2000;
    public const int DefaultSeed = 20240215;

    // up's bounds: no standby at first, at most two.
    public const int MinReplicas = 0;
    public const int MaxReplicas = 2;

    /// <summary>The overrides of the autoscaler's settings. ScaleOutWindow keeps its default (10 s) so that the time to
    /// scale out is the shipped one. ScaleInWindow is 45 s (default 5 min) so that the scale-in happens within the run, yet
    /// not before the stale-reads and kill phases that follow the first surge are over; Cooldown is 20 s (default 60 s)
    /// so that the second surge is not held back by the first one's action.</summary>
    public static IReadOnlyDictionary<string, string> Overrides(bool quick) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Widgetify__Scaling__ScaleInWindow"] = quick ? "00:00:30" : "00:00:45",
        ["Widgetify__Scaling__Cooldown"] = "00:00:20",
    };

    public required string ServiceDll { get; init; }

    /// <summary>Where scale.md, scale.json, scale.svg and the logs go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>As the user typed it, for the report.</summary>
    public string CommandLine { get; init; } = "./widgetify bench scale";

    public bool Quick { get; init; }

    public double SurgeRate { get; init; } = DefaultSurgeRate;

    public double ModerateRate { get; init; } = DefaultModerateRate;

    public double LowRate { get; init; } = DefaultLowRate;

    /// <summary>Client connections of the load, and so the most requests outstanding at once.</summary>
    public int Clients { get; init; } = DefaultClients;

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Widgets seeded for the demo tenant; the reads go to the first <see cref="ReadWidgets"/> of them.</summary>
    public int DemoWidgets { get; init; } = 200;

    public int ReadWidgets { get; init; } = 8;

    public IReadOnlyDictionary<string, string> Environment => Overrides(Quick);

    /// <summary>The longest a surge runs waiting for the scale-out and the new standby's first read.</summary>
    public TimeSpan SurgeBound { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long a surge goes on after the new standby's first read, to measure the standby's own rate.</summary>
    public TimeSpan SurgeTail => TimeSpan.FromSeconds(Quick ? 3 : 6);

    /// <summary>Write-then-read pairs wanted; replay pauses go on until there are this many (and at least <see cref="MinPauses"/>).</summary>
    public int TargetPairs => Quick ? 1000 : 3000;

    public int MinPauses => Quick ? 1 : 3;

    public int PairWorkers { get; init; } = 16;

    public int Watchers { get; init; } = 4;

    /// <summary>Each pause of replay: longer than MaxLag (2 s) plus a check (0.5 s), so the standby leaves rotation in it.</summary>
    public TimeSpan PauseLength { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan StaleBound => TimeSpan.FromSeconds(Quick ? 25 : 50);

    /// <summary>Moderate load before the kill (the standby serves it) and after the standby is seen down.</summary>
    public TimeSpan KillLead { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan KillTail { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>An override as the service reads it.</summary>
    public TimeSpan Override(string name) =>
        TimeSpan.Parse(Environment[$"Widgetify__Scaling__{name}"], CultureInfo.InvariantCulture);
}
