namespace Widgetify.Cli.Drills;

/// <summary>The faults <c>./widgetify drill</c> injects into an embedded deployment, each with the time its recovery is
/// judged against.</summary>
internal enum DrillFault
{
    /// <summary>kill -9 of the primary's postmaster: <c>up</c>'s supervisor must bring it back on its port.</summary>
    DbKill,

    /// <summary>kill -9 of a standby's postmaster: writes must not notice; the supervisor restarts it.</summary>
    ReplicaKill,

    /// <summary>The primary's data directory deleted under it: a standby must take its place.</summary>
    PrimaryLost,
}

/// <summary>Names, needs and goals of the faults.</summary>
internal static class DrillFaults
{
    /// <summary>The fault's name on the command line.</summary>
    public static string Name(DrillFault fault) => fault switch
    {
        DrillFault.DbKill => "db-kill",
        DrillFault.ReplicaKill => "replica-kill",
        _ => "primary-lost",
    };

    /// <summary>The standbys a fresh deployment needs for the fault.</summary>
    public static int StandbysNeeded(DrillFault fault) => fault == DrillFault.DbKill ? 0 : 2;

    /// <summary>How soon writes must succeed again after the fault: 5 s for a crash the supervisor restarts (issue 13's
    /// goal), 30 s for a failover.</summary>
    public static TimeSpan RecoveryGoal(DrillFault fault) => fault == DrillFault.PrimaryLost ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(5);

    /// <summary>Parses a name; null when it is not a fault the drill knows.</summary>
    public static DrillFault? Parse(string name) =>
        Enum.GetValues<DrillFault>().Cast<DrillFault?>().FirstOrDefault(f => Name(f!.Value) == name);
}
