namespace Widgetify.Bench.Fleet;

/// <summary>What <c>bench fleet</c> runs.</summary>
internal sealed record FleetSettings
{
    public const int DefaultSeconds = 30;
    public const int QuickSeconds = 10;
    public const int WarmupSeconds = 3;
    public const double DefaultRate = 200;

    public required string ServiceDll { get; init; }

    public required string OutputDirectory { get; init; }

    public required string CommandLine { get; init; }

    /// <summary>Instance counts, in the order run; the fault phases run at the largest.</summary>
    public required IReadOnlyList<int> InstanceCounts { get; init; }

    /// <summary>Measured seconds per instance count.</summary>
    public int Seconds { get; init; } = DefaultSeconds;

    /// <summary>Offered requests per second, open loop.</summary>
    public double Rate { get; init; } = DefaultRate;

    /// <summary>Generator on core 0, the fleet on the others (as <c>bench storm</c> pins). The command's default (its
    /// <c>--no-pin</c> turns it off); off here, because pinning moves the calling process itself, which in a test is the
    /// whole test host for the rest of its run.</summary>
    public bool Pin { get; init; }

    /// <summary>Whether the rolling restart and the kill -9 run (the test of the pipeline may leave them out).</summary>
    public bool Faults { get; init; } = true;

    /// <summary>Most requests outstanding at once; one due beyond that is recorded as not sent (a failure).</summary>
    public int Clients { get; init; } = 256;

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Widgets seeded on the fleet's first start; the mix goes round them.</summary>
    public int DemoWidgets { get; init; } = 500;

    /// <summary>Load after the killed instance serves again, and after a rolling restart ends.</summary>
    public TimeSpan FaultTail { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a fault phase may run at most (its load stops then whatever happened).</summary>
    public TimeSpan FaultBound { get; init; } = TimeSpan.FromMinutes(3);

    public int Seed { get; init; } = 16;
}
