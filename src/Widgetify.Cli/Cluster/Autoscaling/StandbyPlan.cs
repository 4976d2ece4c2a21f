using System.Globalization;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>The coordinator's decide step: from the leader's ask, the registry and the instances that run now, the one
/// next thing to do. A pure function, tested on snapshots with a fake clock; <see cref="StandbyReconciler"/> acts on it.
/// One step per call: adding a standby takes seconds, and the snapshot after it is the one to decide on.</summary>
internal static class StandbyPlan
{
    /// <summary>The next step.</summary>
    /// <param name="request">The leader's latest ask; null when none was made in this fleet.</param>
    /// <param name="standbys">The registry.</param>
    /// <param name="liveInstances">The instances whose process runs now: only they can drain, so only they are waited for.</param>
    /// <param name="minReplicas">--replicas.</param>
    /// <param name="maxReplicas">--max-replicas; null when the autoscaler is off.</param>
    /// <param name="drainBound">How long a leaving standby waits for the instances' drains.</param>
    /// <param name="now">The coordinator's clock.</param>
    public static StandbyStep Decide(
        ScalingRequest? request, IReadOnlyList<RegisteredStandby> standbys, IReadOnlySet<string> liveInstances, int minReplicas, int? maxReplicas,
        TimeSpan drainBound, DateTimeOffset now)
    {
        // A leaving standby is stopped as soon as it may be, whatever is asked meanwhile: it takes no reads anywhere.
        foreach (var leaving in standbys.Where(s => s.Rotation == StandbyRotation.Leaving))
        {
            var missing = liveInstances.Where(i => !leaving.DrainedBy.Contains(i)).Order(StringComparer.Ordinal).ToList();
            if (missing.Count == 0)
            {
                return new StandbyStep(StandbyStepKind.Remove, leaving.Name, $"drained by every running instance, then removed {leaving.Name}");
            }

            var waited = now - (leaving.LeavingSince ?? now);
            if (waited >= drainBound)
            {
                // An instance that died, hangs or lost the database cannot hold a server forever: its router drops the
                // standby on its own when it next reads the registry, and a read still on it is retried elsewhere.
                return new StandbyStep(StandbyStepKind.Remove, leaving.Name, string.Create(CultureInfo.InvariantCulture,
                    $"removed {leaving.Name} after {drainBound.TotalSeconds:0} s without the drain of {string.Join(", ", missing)} (Widgetify:Cluster:StandbyDrainBound)"));
            }
        }

        if (request is not { Pending: true })
        {
            return StandbyStep.Nothing;
        }

        if (maxReplicas is not { } max)
        {
            return new StandbyStep(StandbyStepKind.Fail, null,
                $"{request.RequestedBy} asked for {request.Desired} standbys, but this 'cluster up' runs without --max-replicas: restart it with --max-replicas to let the autoscaler change them.");
        }

        if (request.Desired < minReplicas || request.Desired > max)
        {
            return new StandbyStep(StandbyStepKind.Fail, null, string.Create(CultureInfo.InvariantCulture,
                $"{request.RequestedBy} asked for {request.Desired} standbys, outside this fleet's bounds ({minReplicas} to {max}, --replicas and --max-replicas); nothing changed."));
        }

        var serving = standbys.Where(s => s.Rotation == StandbyRotation.Serving).ToList();
        if (serving.Count < request.Desired)
        {
            return new StandbyStep(StandbyStepKind.Add, null, "add one");
        }

        if (serving.Count > request.Desired)
        {
            // The newest goes first, as under 'up': the ones from the start (--replicas) are the last to go.
            var newest = serving.OrderBy(s => NumberOf(s.Name)).ThenBy(s => s.Name, StringComparer.Ordinal).Last();
            return new StandbyStep(StandbyStepKind.MarkLeaving, newest.Name, $"{newest.Name} leaves the rotation");
        }

        return standbys.Count == serving.Count
            ? new StandbyStep(StandbyStepKind.Complete, null, string.Create(CultureInfo.InvariantCulture, $"{serving.Count} standby(s) serving"))
            : StandbyStep.Nothing; // at the count, one still draining: answered once it is gone
    }

    /// <summary>The number of <c>standby-N</c>; names of another form sort last.</summary>
    private static int NumberOf(string name) =>
        name.StartsWith("standby-", StringComparison.Ordinal) && int.TryParse(name.AsSpan("standby-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : int.MaxValue;
}

/// <summary>What the coordinator does next.</summary>
internal enum StandbyStepKind
{
    /// <summary>Nothing now.</summary>
    Nothing,

    /// <summary>Make one more standby and register it serving.</summary>
    Add,

    /// <summary>Mark <see cref="StandbyStep.Standby"/> leaving, so every instance drains it.</summary>
    MarkLeaving,

    /// <summary>Stop and delete <see cref="StandbyStep.Standby"/> and forget it.</summary>
    Remove,

    /// <summary>Answer the ask: reached.</summary>
    Complete,

    /// <summary>Answer the ask: refused, with the reason.</summary>
    Fail,
}

/// <summary>One step and why.</summary>
internal sealed record StandbyStep(StandbyStepKind Kind, string? Standby, string Reason)
{
    public static readonly StandbyStep Nothing = new(StandbyStepKind.Nothing, null, "");
}
