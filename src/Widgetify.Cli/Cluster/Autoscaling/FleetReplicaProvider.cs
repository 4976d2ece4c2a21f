using System.Globalization;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>
/// The autoscaler's <c>local</c> provider in an instance of a 'cluster up' fleet. The instance cannot start PostgreSQL
/// servers (its coordinator owns them and outlives it), so an action is handed over: the desired count is written to the
/// primary (<see cref="StandbyRegistry.RequestAsync"/>), the coordinator makes or drains and removes standbys, and this
/// attempt waits, polling every <see cref="PollInterval"/> and at most <see cref="ClusterOptions.ScalingActionTimeout"/>,
/// for its answer. A failure (refused, a base backup that failed, no answer in time) is returned as one, so the
/// autoscaler's retries, backoff and cooldown work as with any provider. On success this instance's router is brought to
/// the registry before returning, and the serving standbys are reported as endpoints (host and port, no password).
/// </summary>
/// <param name="registry">The hand-over tables, on this instance's control connection.</param>
/// <param name="followRegistry">Brings this instance's router to the registry (<see cref="FleetStandbyWatcher.ReconcileOnceAsync"/>).</param>
/// <param name="instanceName">Who asks, in the table and the coordinator's log.</param>
/// <param name="actionTimeout">The longest wait for the coordinator's answer.</param>
/// <param name="timeProvider">Paces the polls and measures the wait.</param>
internal sealed class FleetReplicaProvider(
    StandbyRegistry registry, Func<CancellationToken, Task> followRegistry, string instanceName, TimeSpan actionTimeout, TimeProvider timeProvider) : IReplicaProvider
{
    /// <summary>How often the answer is looked for.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public async Task<ScalingActionResult> ApplyAsync(ScalingAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (action.Direction == ScalingDirection.Replace)
        {
            var serving = (await registry.ReadStandbysAsync(cancellationToken)).Count(s => s.Rotation == StandbyRotation.Serving);
            if (serving >= action.DesiredReplicas)
            {
                // The router lost a standby the coordinator still runs: its supervisor restarts a dead one on its port. Making
                // another would throw a working server away; failing makes the autoscaler wait its cooldown and look again.
                return ScalingActionResult.Failure(Invariant(
                    $"Nothing to replace: 'cluster up' runs all {serving} registered standby(s) (it restarts one that dies on its port), though this instance's router cannot use every one. See GET /api/scaling for each one's problem."));
            }
        }

        var id = await registry.RequestAsync(action.DesiredReplicas, instanceName, cancellationToken);
        var asked = timeProvider.GetTimestamp();
        while (true)
        {
            var request = await registry.ReadRequestAsync(cancellationToken);
            if (request is null || request.RequestId > id)
            {
                return ScalingActionResult.Failure(request is null
                    ? "The ask was cleared before it was answered: 'cluster up' started again. The autoscaler decides again after its cooldown."
                    : $"A later ask (by {request.RequestedBy}, for {request.Desired}) superseded this one before it was answered.");
            }

            if (request.HandledId >= id)
            {
                if (request.Succeeded != true)
                {
                    return ScalingActionResult.Failure($"'cluster up' could not do it: {request.Message}");
                }

                await followRegistry(cancellationToken);
                var endpoints = (await registry.ReadStandbysAsync(cancellationToken))
                    .Where(s => s.Rotation == StandbyRotation.Serving)
                    .Select(s => new ReadEndpoint(s.Name, s.EndpointConnectionString))
                    .ToList();
                return ScalingActionResult.Success($"by 'cluster up': {request.Message}", endpoints);
            }

            if (timeProvider.GetElapsedTime(asked) >= actionTimeout)
            {
                return ScalingActionResult.Failure(Invariant(
                    $"'cluster up' did not answer within {actionTimeout} ({ClusterOptions.SectionName}:ScalingActionTimeout): see its output and './widgetify cluster status' (a base backup of a large database may need more time; raise the setting)."));
            }

            await Task.Delay(PollInterval, timeProvider, cancellationToken);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
