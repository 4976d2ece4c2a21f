using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling;

/// <summary>Settings of the autoscaler (configuration section <c>Widgetify:Scaling</c>). It keeps between
/// <see cref="MinReplicas"/> and <see cref="MaxReplicas"/> read replicas, and runs only when the second is above the
/// first. docs/scaling.md explains the law and the reasoning behind every default.</summary>
public sealed class ScalingOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Widgetify:Scaling";

    /// <summary>Fewest standbys; a standby that dies below it is replaced at once (<c>./widgetify up --replicas N</c>).</summary>
    /// <value>Default 0; range 0 to 100.</value>
    [Range(0, 100)]
    public int MinReplicas { get; set; }

    /// <summary>Most standbys (<c>--max-replicas M</c>); the autoscaler runs only when it is above <see cref="MinReplicas"/>.</summary>
    /// <value>Default 0; range 0 to 100.</value>
    [Range(0, 100)]
    public int MaxReplicas { get; set; }

    /// <summary>Whether the control loop runs: only with room to move between the bounds.</summary>
    public bool Enabled => MaxReplicas > MinReplicas;

    /// <summary>How long the read path must stay saturated (saturation above 1 in 9 of every 10 of its seconds) before a
    /// standby is added. Long enough that a burst the admission controller absorbs does not buy a server, short enough
    /// that the new standby serves within half a minute of the surge.</summary>
    /// <value>Default 10 s; range 1 s to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ScaleOutWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the read path must stay well below target (every measured second below
    /// <see cref="ScaleInThreshold"/>) before a standby is removed. Thirty times the scale-out window: removing capacity
    /// too early costs a second surge, keeping it a few minutes longer costs little.</summary>
    /// <value>Default 5 min; range 10 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan ScaleInWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Least time between two scaling actions, so the signals show the effect of one before the next is decided
    /// (a new standby warms its cache, the router moves load onto it). Replacing a dead standby does not wait for it.</summary>
    /// <value>Default 60 s; range 0 to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The lower edge of the hysteresis band, as a share of target: a standby is removed only while the
    /// saturation stays below it. Between it and 1 nothing happens, so the fleet does not flap around the target.</summary>
    /// <value>Default 0.5; range 0.05 to 0.95.</value>
    [Range(0.05, 0.95)]
    public double ScaleInThreshold { get; set; } = 0.5;

    /// <summary>Target share of the read pool's connections in use. Beyond about 80% a pool of a few dozen connections
    /// starts queueing (Erlang C); above it the read path is short of connections.</summary>
    /// <value>Default 0.8; range 0.1 to 1.0.</value>
    [Range(0.1, 1.0)]
    public double ReadPoolUtilizationTarget { get; set; } = 0.8;

    /// <summary>Target share of read connection acquires that had to wait for a connection. A full pool for an instant is
    /// normal; a tenth of all reads queueing for one every second is a standing queue.</summary>
    /// <value>Default 0.1; range 0.01 to 1.0.</value>
    [Range(0.01, 1.0)]
    public double ReadAcquireWaitedTarget { get; set; } = 0.1;

    /// <summary>Target share of reads shed by admission control (shed / (shed + admitted)). Shedding is the last resort,
    /// so a sustained 1% means the read path lacks capacity, not that a burst was trimmed.</summary>
    /// <value>Default 0.01; range 0.001 to 1.0.</value>
    [Range(0.001, 1.0)]
    public double ReadShedRatioTarget { get; set; } = 0.01;

    /// <summary>Target p99 of reads. Half the service's latency objective (0.5 s): a scale-out takes the window plus the
    /// time to start a standby, so it must begin while the objective still holds.</summary>
    /// <value>Default 250 ms; range 1 ms to 1 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ReadP99Target { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Target CPU utilisation of the database servers, where it can be read. At 70% on two cores a request
    /// already waits about as long as it runs (Erlang C), and the wait grows steeply beyond.</summary>
    /// <value>Default 0.7; range 0.1 to 1.0.</value>
    [Range(0.1, 1.0)]
    public double CpuTarget { get; set; } = 0.7;

    /// <summary>Who adds and removes standbys: <see cref="ReplicaProviderKind.Local"/> (standbys on this machine) or
    /// <see cref="ReplicaProviderKind.Command"/> (an executable, see <see cref="Command"/>).</summary>
    /// <value>Default <see cref="ReplicaProviderKind.Local"/>.</value>
    public ReplicaProviderKind Provider { get; set; } = ReplicaProviderKind.Local;

    /// <summary>The executable the <see cref="ReplicaProviderKind.Command"/> provider runs.</summary>
    [ValidateObjectMembers]
    public ScalingCommandOptions Command { get; set; } = new();

    /// <summary>Further attempts of a failed action, with exponential backoff from <see cref="RetryDelay"/>, before it is
    /// recorded as failed. The next decision may try again after <see cref="Cooldown"/>.</summary>
    /// <value>Default 3; range 0 to 10.</value>
    [Range(0, 10)]
    public int RetryAttempts { get; set; } = 3;

    /// <summary>Delay before the first retry of a failed action; each further retry waits about twice as long (with
    /// jitter), at most <see cref="MaxRetryDelay"/>.</summary>
    /// <value>Default 5 s; range 100 ms to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest delay between two attempts of an action.</summary>
    /// <value>Default 1 min; range 100 ms to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the leader's lease lasts without renewal (it is renewed every second). When the leader dies,
    /// another instance takes the loop over after at most this long.</summary>
    /// <value>Default 10 s; range 3 s to 5 min.</value>
    [Range(typeof(TimeSpan), "00:00:03", "00:05:00")]
    public TimeSpan LeaderLeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The rules single-field ranges cannot state. Both the configuration validator and the controller apply them.</summary>
    /// <param name="validationContext">Unused.</param>
    /// <returns>The broken rules, if any.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinReplicas > MaxReplicas)
        {
            yield return new ValidationResult(
                $"{SectionName}:MinReplicas ({MinReplicas}) must not exceed MaxReplicas ({MaxReplicas}): lower MinReplicas or " +
                "raise MaxReplicas (equal values keep a fixed number of standbys and turn the autoscaler off).",
                [nameof(MinReplicas), nameof(MaxReplicas)]);
        }

        if (RetryDelay > MaxRetryDelay)
        {
            yield return new ValidationResult(
                $"{SectionName}:RetryDelay ({RetryDelay}) must not exceed MaxRetryDelay ({MaxRetryDelay}).",
                [nameof(RetryDelay), nameof(MaxRetryDelay)]);
        }

        if (Enabled && Provider == ReplicaProviderKind.Command && string.IsNullOrWhiteSpace(Command.Path))
        {
            yield return new ValidationResult(
                $"{SectionName}:Command:Path is required when {SectionName}:Provider is 'command': set it to the executable " +
                "that adds and removes standbys (deploy/scaling/ has examples for CloudNativePG and Aurora).",
                [nameof(Command)]);
        }
    }

    /// <summary>A copy, so later changes to the bound object are not seen by a running controller.</summary>
    internal ScalingOptions Copy() => new()
    {
        MinReplicas = MinReplicas,
        MaxReplicas = MaxReplicas,
        ScaleOutWindow = ScaleOutWindow,
        ScaleInWindow = ScaleInWindow,
        Cooldown = Cooldown,
        ScaleInThreshold = ScaleInThreshold,
        ReadPoolUtilizationTarget = ReadPoolUtilizationTarget,
        ReadAcquireWaitedTarget = ReadAcquireWaitedTarget,
        ReadShedRatioTarget = ReadShedRatioTarget,
        ReadP99Target = ReadP99Target,
        CpuTarget = CpuTarget,
        Provider = Provider,
        Command = new ScalingCommandOptions { Path = Command.Path, Arguments = [.. Command.Arguments], Timeout = Command.Timeout },
        RetryAttempts = RetryAttempts,
        RetryDelay = RetryDelay,
        MaxRetryDelay = MaxRetryDelay,
        LeaderLeaseDuration = LeaderLeaseDuration,
    };
}
