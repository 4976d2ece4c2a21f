using Microsoft.Extensions.Logging;

namespace Widgetify.Postgres;

/// <summary>Source-generated log messages: no boxing or formatting when the level is off.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Creating PostgreSQL cluster in {PgData} with initdb from {BinDirectory}")]
    public static partial void RunningInitDb(ILogger logger, string pgData, string binDirectory);

    [LoggerMessage(2, LogLevel.Warning, "initdb refused locale C.UTF-8; retrying with locale C")]
    public static partial void InitDbLocaleFallback(ILogger logger);

    [LoggerMessage(3, LogLevel.Warning, "Removing leftovers of an interrupted initdb or base backup in {PgData}")]
    public static partial void RemovingPartialCluster(ILogger logger, string pgData);

    [LoggerMessage(4, LogLevel.Information, "Starting PostgreSQL on 127.0.0.1:{Port} for {DataDirectory}")]
    public static partial void StartingServer(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(5, LogLevel.Warning, "PostgreSQL did not start on port {Port} (attempt {Attempt} of {Attempts}); retrying on another port")]
    public static partial void StartAttemptFailed(ILogger logger, Exception exception, int port, int attempt, int attempts);

    [LoggerMessage(6, LogLevel.Information, "PostgreSQL is ready on 127.0.0.1:{Port} for {DataDirectory}")]
    public static partial void ServerReady(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(7, LogLevel.Information, "Attached to running PostgreSQL (pid {Pid}) on 127.0.0.1:{Port} for {DataDirectory}; owner pid {OwnerPid}")]
    public static partial void AttachedToServer(ILogger logger, int pid, int port, string dataDirectory, int ownerPid);

    [LoggerMessage(8, LogLevel.Warning, "Adopting orphan PostgreSQL (pid {Pid}) on 127.0.0.1:{Port}: its owner (pid {OwnerPid}) is gone")]
    public static partial void AdoptingOrphanServer(ILogger logger, int pid, int port, int? ownerPid);

    [LoggerMessage(9, LogLevel.Warning, "Removed stale {PidFile}: pid {Pid} is not a running PostgreSQL server for this data directory (crash or reboot)")]
    public static partial void StalePidFileRemoved(ILogger logger, string pidFile, int pid);

    [LoggerMessage(10, LogLevel.Information, "Created role {Role} and/or database {Database}")]
    public static partial void ProvisionedAppDatabase(ILogger logger, string role, string database);

    [LoggerMessage(11, LogLevel.Information, "Stopping PostgreSQL on 127.0.0.1:{Port} for {DataDirectory}")]
    public static partial void StoppingServer(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(12, LogLevel.Information, "PostgreSQL on 127.0.0.1:{Port} stopped")]
    public static partial void ServerStopped(ILogger logger, int port);

    [LoggerMessage(13, LogLevel.Debug, "Leaving PostgreSQL on 127.0.0.1:{Port} running: another process owns it")]
    public static partial void NotStoppingForeignServer(ILogger logger, int port);

    [LoggerMessage(14, LogLevel.Warning, "Not stopping PostgreSQL for {DataDirectory}: the running server (pid {Pid}) is not the one this handle started")]
    public static partial void NotStoppingReplacedServer(ILogger logger, string dataDirectory, int pid);

    [LoggerMessage(15, LogLevel.Warning, "PostgreSQL on 127.0.0.1:{Port} had {Processes} process(es) stopped by a signal (SIGSTOP); continued them so that they can shut down")]
    public static partial void ContinuingStoppedServer(ILogger logger, int port, int processes);
}
