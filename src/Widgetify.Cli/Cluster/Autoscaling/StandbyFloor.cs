using System.Globalization;
using Widgetify.Postgres.Supervision;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>The coordinator's decide step for the fleet's floor of standbys (<c>--replicas</c>): a registered standby whose
/// server stayed down past <see cref="ClusterOptions.StandbyReplaceAfter"/> is given up (the supervisor restarts a killed
/// standby on its port at once, so one still down by then is not coming back: its data is gone, or every start fails), and
/// while fewer than the floor serve, one is made, with a growing pause after each failed attempt and at most
/// <see cref="ClusterOptions.StandbyReplaceAttempts"/> attempts in a row. A pure function of the registry, what the
/// coordinator saw of each server and its clock, tested with a fake clock; <see cref="StandbyReconciler"/> acts on it before
/// it acts on the autoscaler's ask.</summary>
internal static class StandbyFloor
{
    /// <summary>The next step for the floor.</summary>
    /// <param name="standbys">The registry.</param>
    /// <param name="downSince">Standbys whose server the coordinator saw down, since when (by its clock); a standby
    /// seen running again is not in it.</param>
    /// <param name="minReplicas">--replicas.</param>
    /// <param name="attempts">The replacements that failed in a row, and when the last one ended.</param>
    /// <param name="replaceAfter">How long a standby may be down before it is given up.</param>
    /// <param name="maxAttempts">Failed replacements in a row after which the coordinator stops trying.</param>
    /// <param name="now">The coordinator's clock.</param>
    public static FloorStep Decide(
        IReadOnlyList<RegisteredStandby> standbys, IReadOnlyDictionary<string, DateTimeOffset> downSince, int minReplicas,
        ReplacementAttempts attempts, TimeSpan replaceAfter, int maxAttempts, DateTimeOffset now)
    {
        foreach (var standby in standbys.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (downSince.TryGetValue(standby.Name, out var since) && now - since >= replaceAfter)
            {
                return new FloorStep(FloorStepKind.GiveUp, standby.Name, string.Create(CultureInfo.InvariantCulture,
                    $"{standby.Name} (127.0.0.1:{standby.Port}) has been down for {(now - since).TotalSeconds:0} s, past {ClusterOptions.SectionName}:StandbyReplaceAfter ({replaceAfter}), and its supervisor could not bring it back"));
            }
        }

        var serving = standbys.Count(s => s.Rotation == StandbyRotation.Serving);
        if (serving >= minReplicas)
        {
            return FloorStep.Nothing;
        }

        if (attempts.Failed >= maxAttempts)
        {
            return FloorStep.Nothing; // given up: the reconciler said so when the last attempt failed
        }

        if (attempts.Failed > 0 && now < attempts.LastEnded + ServerSupervisor.Backoff(attempts.Failed))
        {
            return FloorStep.Nothing;
        }

        return new FloorStep(FloorStepKind.Replace, null, string.Create(CultureInfo.InvariantCulture,
            $"{serving} standby(s) serving, below --replicas {minReplicas}: making one (attempt {attempts.Failed + 1} of {maxAttempts})"));
    }

    /// <summary>When the attempt after <paramref name="attempts"/> may start.</summary>
    public static DateTimeOffset NextAttempt(ReplacementAttempts attempts) => attempts.LastEnded + ServerSupervisor.Backoff(attempts.Failed);
}

/// <summary>Replacements that failed in a row (0 after one that worked) and when the last attempt ended.</summary>
internal readonly record struct ReplacementAttempts(int Failed, DateTimeOffset LastEnded);

/// <summary>What the floor asks of the coordinator.</summary>
internal enum FloorStepKind
{
    /// <summary>Nothing for the floor: the ask's plan runs.</summary>
    Nothing,

    /// <summary>Take <see cref="FloorStep.Standby"/> out of the registry, then stop it, drop its slot and delete its folder.</summary>
    GiveUp,

    /// <summary>Make one standby and register it serving.</summary>
    Replace,
}

/// <summary>One step for the floor and why.</summary>
internal sealed record FloorStep(FloorStepKind Kind, string? Standby, string Reason)
{
    public static readonly FloorStep Nothing = new(FloorStepKind.Nothing, null, "");
}
