using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Widgetify.Scaling.Signals;

namespace Widgetify.Cli.Cluster.Autoscaling;

/// <summary>
/// The read path's signals of a whole 'cluster up' fleet, for the autoscaler of whichever instance leads. Each instance
/// publishes its last seconds every <see cref="ClusterOptions.StandbyPollInterval"/> (one row per instance in
/// <c>widgetify_fleet_signals</c>, on its control connection) and reads the others'; <see cref="GetRecent"/> gives this
/// instance's own seconds, each combined with the other instances' second nearest to it (<see cref="Combine"/>).
/// Why: the leader alone is not the fleet. Measured with two instances behind HAProxy under one read surge, one
/// instance's adaptive limit shed and its saturation stayed between 1 and 25 while the leader's stayed under 1 for 9 of
/// 10 seconds, and the leader never decided to scale out in 60 s. Behind round robin the instances get the same requests,
/// not the same state.
/// </summary>
internal sealed partial class FleetSignalSource(
    IReadPathSignalSource own, NpgsqlDataSource control, string instanceName, TimeSpan interval, TimeProvider timeProvider,
    ILogger<FleetSignalSource> logger) : BackgroundService, IReadPathSignalSource
{
    /// <summary>Another instance's second counts for one of ours when their times are at most this far apart. Not less:
    /// the law takes in each of the leader's seconds as soon as it is measured, when the others' second of the same time
    /// is still on its way (published within an exchange interval, read within the next one), so their latest second,
    /// up to about two intervals older, stands for it. A surge's end reaches the leader that much later.</summary>
    internal static readonly TimeSpan Match = TimeSpan.FromSeconds(3);

    /// <summary>An instance whose row is older than this is gone or stuck: its seconds no longer count.</summary>
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private volatile IReadOnlyList<IReadOnlyList<ReadPathSignals>> _others = [];

    /// <inheritdoc/>
    public IReadOnlyList<ReadPathSignals> GetRecent()
    {
        var others = _others;
        return [.. own.GetRecent().Select(second => Combine(second, others))];
    }

    /// <summary>One second of the fleet: the worst instance's value of each signal (a pool, a wait share, a p99 or a CPU
    /// that is at target in one instance is at target for the fleet: that instance's reads need the capacity), the shed
    /// ratio of the instance that shed the most, and this instance's own standby counts (its router follows the registry
    /// as every other does). Only seconds within <see cref="Match"/> of <paramref name="second"/> are combined.</summary>
    internal static ReadPathSignals Combine(ReadPathSignals second, IReadOnlyList<IReadOnlyList<ReadPathSignals>> others)
    {
        var combined = second;
        foreach (var instance in others)
        {
            var nearest = instance.Where(o => (o.At - second.At).Duration() <= Match).MinBy(o => (o.At - second.At).Duration());
            if (nearest is null)
            {
                continue;
            }

            var shedding = nearest.ReadShedRatio > combined.ReadShedRatio ? nearest : combined;
            combined = combined with
            {
                ReadPoolUtilization = Math.Max(combined.ReadPoolUtilization, nearest.ReadPoolUtilization),
                ReadAcquireWaitedRatio = Math.Max(combined.ReadAcquireWaitedRatio, nearest.ReadAcquireWaitedRatio),
                ReadShedPerSecond = shedding.ReadShedPerSecond,
                ReadAdmittedPerSecond = shedding.ReadAdmittedPerSecond,
                ReadP99Seconds = Max(combined.ReadP99Seconds, nearest.ReadP99Seconds),
                CpuUtilization = Max(combined.CpuUtilization, nearest.CpuUtilization),
            };
        }

        return combined;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, timeProvider, stoppingToken);
                await ExchangeAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or JsonException or InvalidOperationException)
            {
                // Until the next exchange the leader decides on what it has: its own seconds, and the others' last ones.
                LogExchangeFailed(logger, ex.Message);
            }
        }
    }

    private async Task ExchangeAsync(CancellationToken cancellationToken)
    {
        await using (var publish = control.CreateCommand("""
            INSERT INTO widgetify_fleet_signals (instance, updated_at, seconds) VALUES ($1, clock_timestamp(), $2)
            ON CONFLICT (instance) DO UPDATE SET updated_at = EXCLUDED.updated_at, seconds = EXCLUDED.seconds
            """))
        {
            publish.Parameters.AddWithValue(instanceName);
            publish.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(own.GetRecent(), Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await publish.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var read = control.CreateCommand(
            "SELECT seconds::text FROM widgetify_fleet_signals WHERE instance <> $1 AND updated_at > clock_timestamp() - $2");
        read.Parameters.AddWithValue(instanceName);
        read.Parameters.AddWithValue(Stale);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        var others = new List<IReadOnlyList<ReadPathSignals>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            others.Add(JsonSerializer.Deserialize<List<ReadPathSignals>>(reader.GetString(0), Json) ?? []);
        }

        _others = others;
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The fleet's read-path signals could not be exchanged, tried again next second: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, string reason);
}
