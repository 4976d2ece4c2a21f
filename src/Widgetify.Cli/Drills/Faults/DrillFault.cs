namespace Widgetify.Cli.Drills.Faults;

/// <summary>A fault <c>./widgetify drill</c> injects into an embedded deployment: what it needs, how long it lasts and
/// how soon writes must succeed again once it has ended.</summary>
internal abstract class DrillFault
{
    /// <summary>How long a fault that lasts (slow queries, a lock, a full disk, leaked connections) is held before it
    /// ends: long enough for admission control and the monitoring to react, short enough for a drill.</summary>
    protected static readonly TimeSpan HeldFor = TimeSpan.FromSeconds(10);

    /// <summary>Every fault, in the order the help lists them.</summary>
    public static IReadOnlyList<DrillFault> All { get; } =
    [
        new ServerKill(standby: false),
        new SlowQueries(),
        new TableLock(),
        new DiskFull(),
        new ServerKill(standby: true),
        new PrimaryLost(),
        new ConnectionLeak(),
    ];

    /// <summary>The fault's name on the command line.</summary>
    public abstract string Name { get; }

    /// <summary>What it does, for the help.</summary>
    public abstract string Description { get; }

    /// <summary>The standbys a fresh deployment needs for it.</summary>
    public virtual int StandbysNeeded => 0;

    /// <summary>How soon after the fault ends writes must succeed again: 5 s (issue 13's goal) unless the fault says
    /// otherwise.</summary>
    public virtual TimeSpan RecoveryGoal => TimeSpan.FromSeconds(5);

    /// <summary>How long the fault lasts once injected; zero for one that is over as soon as it happens (a kill).</summary>
    public virtual TimeSpan Duration => TimeSpan.Zero;

    /// <summary>The fault of that name, or null.</summary>
    public static DrillFault? Parse(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>Injects the fault. The returned handle ends it (<see cref="ActiveFault.EndAsync"/>) and then puts back
    /// whatever the drill changed to cause it (on dispose, after the table has been checked).</summary>
    public abstract Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken);
}

/// <summary>A fault in progress.</summary>
internal class ActiveFault : IAsyncDisposable
{
    /// <summary>A fault with nothing to end or put back.</summary>
    public static ActiveFault Over { get; } = new();

    /// <summary>Ends the fault: the service should recover from here.</summary>
    public virtual Task EndAsync() => Task.CompletedTask;

    /// <summary>Puts back what the drill changed (<see cref="PutBackAsync"/>), once the load has stopped.</summary>
    public ValueTask DisposeAsync() => PutBackAsync();

    /// <summary>Puts back what the drill changed to cause the fault, ending it first if it has not been.</summary>
    protected virtual ValueTask PutBackAsync() => ValueTask.CompletedTask;
}
