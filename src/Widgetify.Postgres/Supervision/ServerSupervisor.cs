using System.Globalization;
using Microsoft.Extensions.Logging;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Supervision;

/// <summary>Keeps the PostgreSQL servers a process started running (issue 13): every <see cref="CheckInterval"/> it looks
/// at the primary and each standby this process owns, and one whose postmaster is gone (kill -9, a crash, the OOM
/// killer) is brought back on the same port, data directory and options, its orphaned backends killed first; a server
/// someone started again by hand is adopted instead. A server that keeps crashing is restarted after a growing pause
/// (<see cref="Backoff"/>) rather than in a tight loop. Every action is raised as <see cref="Acted"/> (the caller puts it on
/// the incident timeline) and logged. Servers being stopped (shutdown, a standby scaled in) are left alone; stop the
/// supervisor before stopping the servers all the same.</summary>
public sealed partial class ServerSupervisor
{
    /// <summary>How often the servers are checked: a crash is noticed within this, and the restart starts then.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>Restarts within this long of each other count as one crash loop.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(5);

    /// <summary>The longest pause between two restarts of a crash loop.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    private readonly PostgresCluster primary;
    private readonly LocalStandbys? standbys;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly Dictionary<string, ServerRecord> records = new(StringComparer.Ordinal);
    private bool dataLostLogged;

    /// <summary>Creates a supervisor of <paramref name="primary"/> and the standbys of <paramref name="standbys"/> (as they
    /// are at each check: standbys added or removed later are followed).</summary>
    public ServerSupervisor(PostgresCluster primary, LocalStandbys? standbys, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        this.primary = primary;
        this.standbys = standbys;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    /// <summary>Raised after each action, on the supervisor's loop.</summary>
    public event Action<SupervisionEvent>? Acted;

    /// <summary>The pause before the next restart of a server restarted <paramref name="recentRestarts"/> times within
    /// <see cref="StableAfter"/>: none for the first crash (the 5 s goal), then 1 s, 2 s, 4 s, ... up to <see cref="MaxBackoff"/>.</summary>
    public static TimeSpan Backoff(int recentRestarts) =>
        recentRestarts <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(recentRestarts - 1, 16))));

    /// <summary>Checks every <see cref="CheckInterval"/> until cancelled.</summary>
    /// <param name="cancellationToken">Ends the loop; the task then completes without an exception.</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CheckInterval, timeProvider, cancellationToken);
                await CheckOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever one check met, the next must still run: a supervisor that stopped would leave the servers alone.
                LogCheckFailed(logger, ex);
            }
        }
    }

    /// <summary>Checks each server once and brings back those that are down and due.</summary>
    internal async Task CheckOnceAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // PostgresCluster refuses Windows
        }

        var lost = primary.Server;
        if (lost.DataLost && lost.OwnsServer && !lost.StopRequested)
        {
            await FailOverAsync(cancellationToken);
            return;
        }

        dataLostLogged = false;
        var servers = new List<(string Name, ServerHandle Server)> { ("primary", primary.Server) };
        servers.AddRange((standbys?.Standbys ?? []).Select(s => (s.Name, s.Server)));
        foreach (var (name, server) in servers)
        {
            if (server.StopRequested || !server.OwnsServer || server.IsRunning)
            {
                continue;
            }

            await RecoverAsync(name, server, cancellationToken);
        }

        if (standbys is not null)
        {
            try
            {
                // With synchronous replication, a standby that died must leave the names at once, or commits block on it.
                await standbys.ReconcileSynchronousNamesAsync(cancellationToken);
            }
            catch (Npgsql.NpgsqlException ex)
            {
                LogReconcileFailed(logger, ex.Message);
            }
        }
    }

    private async Task RecoverAsync(string name, ServerHandle server, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (!records.TryGetValue(name, out var record))
        {
            record = new ServerRecord();
            records[name] = record;
        }

        record.DownSince ??= now;
        record.Restarts.RemoveAll(at => now - at >= StableAfter);
        var due = record.Restarts.Count == 0 ? now : record.Restarts[^1] + Backoff(record.Restarts.Count);
        if (now < due)
        {
            if (!record.WaitLogged)
            {
                record.WaitLogged = true;
                LogWaiting(logger, name, record.Restarts.Count, StableAfter, due);
            }

            return;
        }

        record.WaitLogged = false;
        record.Restarts.Add(now);
        var pid = server.PostmasterPid;
        try
        {
            var outcome = await server.RecoverAsync(cancellationToken);
            var at = timeProvider.GetUtcNow();
            var down = at - record.DownSince.Value;
            record.DownSince = null;
            var message = outcome switch
            {
                ServerHandle.Recovery.Restarted => F(
                    "PostgreSQL {0} (127.0.0.1:{1}) was down (postmaster pid {2} gone) and was restarted on the same port by its supervisor, {3:0.0} s after it was seen down{4}.",
                    name, server.Port, pid, down.TotalSeconds,
                    record.Restarts.Count > 1 ? F("; restart {0} within {1} min, the next waits {2} s", record.Restarts.Count, StableAfter.TotalMinutes, Backoff(record.Restarts.Count).TotalSeconds) : ""),
                ServerHandle.Recovery.Adopted => F(
                    "PostgreSQL {0} was restarted by someone else (postmaster pid {1}, port {2}) and was adopted: it is stopped with the rest.", name, server.PostmasterPid, server.Port),
                ServerHandle.Recovery.AdoptedOnAnotherPort => F(
                    "PostgreSQL {0} was restarted by someone else on port {1}, not the port the service uses: stop it (pg_ctl -D {2} stop) and the supervisor starts it on its own port.",
                    name, server.Port, server.PgData),
                _ => null,
            };
            if (message is null)
            {
                return;
            }

            if (outcome == ServerHandle.Recovery.AdoptedOnAnotherPort)
            {
                LogAdoptedElsewhere(logger, message);
            }
            else
            {
                LogActed(logger, message);
            }

            Acted?.Invoke(new SupervisionEvent(at, name, outcome.ToString(), message, down));
        }
        catch (InvalidOperationException ex)
        {
            var message = F(
                "PostgreSQL {0} is down and could not be restarted (attempt {1} within {2} min; the next in {3} s): {4}",
                name, record.Restarts.Count, StableAfter.TotalMinutes, Backoff(record.Restarts.Count).TotalSeconds, ex.Message);
            LogRestartFailed(logger, message);
            Acted?.Invoke(new SupervisionEvent(timeProvider.GetUtcNow(), name, "RestartFailed", message, null));
        }
    }

    /// <summary>The primary's data is gone: no restart can help, so the most advanced standby takes its place
    /// (<see cref="LocalStandbys.PromoteIntoPrimaryAsync"/>). Without a standby there is nothing to do but say so, once.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private async Task FailOverAsync(CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        if (standbys is null || standbys.Standbys.Count == 0)
        {
            if (!dataLostLogged)
            {
                dataLostLogged = true;
                var message = F("PostgreSQL primary's data directory '{0}' is gone and there is no standby to promote: restore it from a backup; writes fail until then.", lost(primary));
                LogRestartFailed(logger, message);
                Acted?.Invoke(new SupervisionEvent(timeProvider.GetUtcNow(), "primary", "PrimaryLost", message, null));
            }

            return;
        }

        try
        {
            var result = await standbys.PromoteIntoPrimaryAsync(cancellationToken);
            var took = timeProvider.GetElapsedTime(started);
            var behind = string.Join(", ", result.Behind.Select(b => F("{0} {1} bytes behind it", b.Name, b.Bytes)));
            var message = F(
                "PostgreSQL primary lost (its data directory was gone): standby {0}, the most advanced ({1} bytes of WAL received{2}), was promoted and now serves as the primary on 127.0.0.1:{3}, {4:0.0} s after the loss was seen; {5} standby(s) made again from it{6}. Writes acknowledged by the old primary but not yet received by {0} are lost (asynchronous replication).",
                result.Promoted, result.ReceivedBytes, behind.Length > 0 ? "; " + behind : "", primary.Port, took.TotalSeconds, result.Rebuilt.Count,
                result.Failures.Count > 0 ? F(", {0} could not be: {1}", result.Failures.Count, string.Join("; ", result.Failures.Select(f => f.Name + ": " + f.Reason))) : "");
            LogActed(logger, message);
            Acted?.Invoke(new SupervisionEvent(timeProvider.GetUtcNow(), "primary", "Promoted", message, took) { Failover = result });
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or Npgsql.NpgsqlException)
        {
            var message = F("PostgreSQL primary lost (its data directory was gone) and the failover failed: {0}", ex.Message);
            LogRestartFailed(logger, message);
            Acted?.Invoke(new SupervisionEvent(timeProvider.GetUtcNow(), "primary", "FailoverFailed", message, null));
        }

        static string lost(PostgresCluster cluster) => cluster.Server.PgData;
    }

    private static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogActed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogAdoptedElsewhere(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogRestartFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL {Server} is down again after {Restarts} restart(s) within {StableAfter}: the next restart waits until {Due:O}")]
    private static partial void LogWaiting(ILogger logger, string server, int restarts, TimeSpan stableAfter, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Error, Message = "A supervision check failed; the next runs in a second")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not bring synchronous_standby_names in step with the standbys (retried at the next check): {Reason}")]
    private static partial void LogReconcileFailed(ILogger logger, string reason);

    private sealed class ServerRecord
    {
        public List<DateTimeOffset> Restarts { get; } = [];

        public DateTimeOffset? DownSince { get; set; }

        public bool WaitLogged { get; set; }
    }
}

/// <summary>What the supervisor did to one server.</summary>
/// <param name="At">When it was done.</param>
/// <param name="Server"><c>primary</c> or the standby's name.</param>
/// <param name="Action"><c>Restarted</c>, <c>Adopted</c>, <c>AdoptedOnAnotherPort</c>, <c>RestartFailed</c>, <c>Promoted</c> (a
/// standby took the place of a primary whose data was gone), <c>FailoverFailed</c> or <c>PrimaryLost</c> (no standby).</param>
/// <param name="Message">What happened, in a sentence with the figures.</param>
/// <param name="Down">How long the server was seen down before it was back; null when it is not back.</param>
public sealed record SupervisionEvent(DateTimeOffset At, string Server, string Action, string Message, TimeSpan? Down)
{
    /// <summary>What a failover did (<see cref="Action"/> <c>Promoted</c>): the standbys the service must read from now.</summary>
    public FailoverResult? Failover { get; init; }
}
