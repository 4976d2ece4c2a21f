using System.Globalization;
using Microsoft.Extensions.Logging;
using Widgetify.Api.Scaling;
using Widgetify.Postgres.Standbys;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;

namespace Widgetify.Cli;

/// <summary>The autoscaler's <c>local</c> provider under <c>widgetify up</c>: standbys of the embedded primary on this
/// machine. Out: a base backup of the primary, started on a free loopback port, waited for until it streams, then put
/// into the read rotation. In: the highest-numbered standby leaves the rotation, its reads in flight finish, then it is
/// stopped, its slot dropped and its folder deleted. Standbys whose server died are removed first in either case (their
/// slots would otherwise keep WAL on the primary), so a replacement is a removal and an addition.</summary>
internal sealed class LocalReplicaProvider(LocalStandbys standbys, ReadReplicas replicas, ILogger logger) : IReplicaProvider
{
    /// <summary>How long a leaving standby's reads may still run; each read has its own, shorter, deadline anyway.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public async Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        List<string> done = [];
        try
        {
            foreach (var dead in standbys.Standbys.Where(s => !s.IsRunning).ToList())
            {
                await replicas.DrainAsync(dead.Name, TimeSpan.Zero, cancellationToken);
                await standbys.RemoveAsync(dead.Name, cancellationToken);
                done.Add($"removed {dead.Name} (its server had died)");
            }

            var live = standbys.Standbys.Count;
            if (action.Direction == ScalingDirection.Replace && done.Count == 0 && live >= action.DesiredReplicas)
            {
                // The router lost a standby that is still running here: slow to answer, not dead. Replacing it would
                // throw away a working server; failing makes the autoscaler wait its cooldown and look again.
                return ScalingActionResult.Failure(Invariant(
                    $"Nothing to replace: all {live} local standby(s) are running, though the router cannot use every one (too slow to answer its checks, or lagging). See GET /api/scaling for each one's problem."));
            }

            while (live < action.DesiredReplicas)
            {
                var added = await standbys.AddAsync(cancellationToken);
                replicas.Add(added.Name, added.AppConnectionString);
                done.Add(Invariant($"added {added.Name} on 127.0.0.1:{added.Port}"));
                live++;
            }

            while (live > action.DesiredReplicas)
            {
                var leaving = standbys.Standbys[^1];
                var left = await replicas.DrainAsync(leaving.Name, DrainTimeout, cancellationToken);
                await standbys.RemoveAsync(leaving.Name, cancellationToken);
                done.Add(left > 0
                    ? Invariant($"removed {leaving.Name} ({left} read(s) still running after {DrainTimeout.TotalSeconds:0} s)")
                    : $"drained and removed {leaving.Name}");
                live--;
            }
        }
        catch (StandbyException ex)
        {
            LocalReplicaLog.ActionFailed(logger, ex);
            return ScalingActionResult.Failure(Summary(done, $"failed: {ex.Message}"));
        }

        return ScalingActionResult.Success(Summary(done, Invariant($"{standbys.Standbys.Count} local standby(s) now")));
    }

    private static string Summary(List<string> done, string end) => done.Count == 0 ? end : $"{string.Join("; ", done)}; {end}";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Log messages of the local provider.</summary>
internal static partial class LocalReplicaLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "A local standby could not be added or removed")]
    public static partial void ActionFailed(ILogger logger, Exception exception);
}
