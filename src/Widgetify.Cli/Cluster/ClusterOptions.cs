using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Widgetify.Cli.Cluster;

/// <summary>How 'cluster up' runs its fleet (configuration section <c>Widgetify:Cluster</c>, read from the environment,
/// e.g. <c>Widgetify__Cluster__RestartDelay=00:00:05</c>). The command-line options say what to run; these say how.</summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Widgetify:Cluster";

    /// <summary>How long the supervisor waits before it starts again an instance that crashed (died of a signal or a
    /// failure), so a process that dies at once is not restarted in a tight loop. An instance that stopped cleanly
    /// (<c>cluster restart</c>, or an operator's SIGTERM) is started again at once.</summary>
    /// <value>Default 2 s; range 0 to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an instance gets to answer 200 on <c>/health/ready</c> after it is started.</summary>
    /// <value>Default 3 min; range 5 s to 30 min.</value>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often HAProxy checks each instance's <c>/health/ready</c>; three failed checks take an instance out,
    /// two passed ones put it back. Each check may take up to 3 s (HAProxy's <c>timeout check</c>).</summary>
    /// <value>Default 500 ms; range 100 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The instances' <c>Widgetify:Api:DrainDelay</c> unless the environment sets it: on a stop, how long an
    /// instance keeps serving after its readiness fails, which must cover HAProxy's three failed checks.</summary>
    /// <value>Default 2 s; range 0 to 20 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:20")]
    public TimeSpan InstanceDrainDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an instance that comes back (after a rolling restart's stop, a crash, or failed checks) takes to
    /// get its full part of the requests: HAProxy's <c>slowstart</c>, its weight growing from a few percent to all of it
    /// at every check. A process that has just started is cold (its code not yet compiled, its rendered-widget cache
    /// empty, no pooled connection), so a full share at once makes its first requests slow enough to be shed; the
    /// instances already warm carry the rest meanwhile. 0 turns it off. Not applied when HAProxy itself starts.</summary>
    /// <value>Default 10 s; range 0 to 5 min; when not 0, at least four times <see cref="HealthCheckInterval"/> (the weight
    /// grows once per check).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan SlowStart { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often, with <c>--max-replicas</c> or <c>--replicas</c>, the coordinator reconciles its standbys with the
    /// autoscaler's ask and the instances read its registry of standbys: a standby made or leaving reaches every instance's
    /// reads within about this long.</summary>
    /// <value>Default 1 s; range 100 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan StandbyPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a leaving standby waits for every running instance to say it drained it before the coordinator
    /// stops it anyway (an instance that hangs or cannot reach the database must not keep a server forever; a read still
    /// on it then fails over to another server). Above the instances' own drain bound (30 s) plus a poll, so that a
    /// healthy instance always finishes first.</summary>
    /// <value>Default 45 s; range 1 s to 10 min, and at least the instances' 30 s drain plus two
    /// <see cref="StandbyPollInterval"/>.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StandbyDrainBound { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long a standby's server may stay down before the coordinator gives it up: takes it out of the registry
    /// (every instance stops reading from it), removes it (slot and folder) and, while fewer than <c>--replicas</c> serve,
    /// makes another. The supervisor restarts a killed standby on its port at once (a crash loop after a growing pause),
    /// which takes a few seconds; one still down after this long is not coming back (its data is gone, every start
    /// fails), and a base backup replaces it faster than waiting for an operator.</summary>
    /// <value>Default 30 s; range 5 s to 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan StandbyReplaceAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Replacements of a given-up standby that may fail in a row (a full disk, no free WAL sender) before the
    /// coordinator stops trying and says so; between two, the supervisor's growing pause (1 s, 2 s, 4 s, ... up to a
    /// minute). A replacement that works, a standby added for the autoscaler, or a new 'cluster up', starts the count again.</summary>
    /// <value>Default 5; range 1 to 100.</value>
    [Range(1, 100)]
    public int StandbyReplaceAttempts { get; set; } = 5;

    /// <summary>How long the leader's provider waits for the coordinator to answer an ask (a standby made with a base
    /// backup of the primary, or drained by every instance and stopped) before it counts the attempt failed.</summary>
    /// <value>Default 10 min; range 10 s to 2 h.</value>
    [Range(typeof(TimeSpan), "00:00:10", "02:00:00")]
    public TimeSpan ScalingActionTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The options in this process's environment, validated.</summary>
    /// <exception cref="InvalidOperationException">A setting is out of range; the message names it.</exception>
    internal static ClusterOptions FromEnvironment()
    {
        var options = new ClusterOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(SectionName).Bind(options);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new InvalidOperationException(
                $"{SectionName} is not valid: {string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"))}. " +
                "Fix the Widgetify__Cluster__* environment variables.");
        }

        if (options.InstanceDrainDelay < HaproxyConfig.Fall * options.HealthCheckInterval)
        {
            throw new InvalidOperationException(
                $"{SectionName}:InstanceDrainDelay ({options.InstanceDrainDelay}) must be at least {HaproxyConfig.Fall} times HealthCheckInterval " +
                $"({options.HealthCheckInterval}), or HAProxy still sends requests to an instance that has closed: raise it.");
        }

        if (options.SlowStart > TimeSpan.Zero && options.SlowStart < SlowStartSteps * options.HealthCheckInterval)
        {
            throw new InvalidOperationException(
                $"{SectionName}:SlowStart ({options.SlowStart}) must be 0 or at least {SlowStartSteps} times HealthCheckInterval " +
                $"({options.HealthCheckInterval}): HAProxy raises a returning instance's weight once per check, so a shorter ramp is " +
                "one step from nothing to everything. Raise it, or set it to 0 to turn the ramp off.");
        }

        var drainBoundFloor = Autoscaling.FleetStandbyWatcher.DrainTimeout + (2 * options.StandbyPollInterval);
        if (options.StandbyDrainBound < drainBoundFloor)
        {
            throw new InvalidOperationException(
                $"{SectionName}:StandbyDrainBound ({options.StandbyDrainBound}) must be at least {drainBoundFloor}: the instances' own " +
                $"drain of a leaving standby ({Autoscaling.FleetStandbyWatcher.DrainTimeout}) plus two StandbyPollInterval, or a " +
                "scale-in stops a standby while healthy instances still read from it. Raise it.");
        }

        return options;
    }

    /// <summary>Fewest health checks a slow start must span.</summary>
    internal const int SlowStartSteps = 4;
}
