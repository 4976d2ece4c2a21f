using Microsoft.Extensions.Logging;

namespace Widgetify.Postgres.Standbys;

/// <summary>Source-generated log messages of standbys; event ids from 101, beside the primary's 1-14.</summary>
internal static partial class StandbyLog
{
    [LoggerMessage(101, LogLevel.Information, "Creating standby {Name} in {PgData}: pg_basebackup from the primary on 127.0.0.1:{PrimaryPort} with slot {Slot}")]
    public static partial void Creating(ILogger logger, string name, string pgData, int primaryPort, string slot);

    [LoggerMessage(102, LogLevel.Information, "Standby {Name}: base backup done in {Seconds:0.0} s")]
    public static partial void Created(ILogger logger, string name, double seconds);

    [LoggerMessage(103, LogLevel.Warning, "Standby {Name} is made again: {Reason}")]
    public static partial void Replacing(ILogger logger, string name, string reason);

    [LoggerMessage(104, LogLevel.Information, "Standby {Name} on 127.0.0.1:{Port} is streaming from the primary, {Seconds:0.0} s after it was asked for")]
    public static partial void Streaming(ILogger logger, string name, int port, double seconds);

    [LoggerMessage(105, LogLevel.Error, "Standby {Name} is not available; the primary goes on without it: {Reason}")]
    public static partial void Failed(ILogger logger, string name, string reason);

    [LoggerMessage(106, LogLevel.Information, "Removing standby {Name} ({Reason}): stopping it, dropping its slot, deleting {Directory}")]
    public static partial void Removing(ILogger logger, string name, string reason, string directory);

    [LoggerMessage(107, LogLevel.Information, "Dropped replication slot {Slot} on the primary")]
    public static partial void SlotDropped(ILogger logger, string slot);

    [LoggerMessage(108, LogLevel.Warning, "Dropped replication slot {Slot}: no standby folder uses it, and it would hold WAL and old rows on the primary")]
    public static partial void OrphanSlotDropped(ILogger logger, string slot);

    [LoggerMessage(109, LogLevel.Warning, "Standby {Name}'s server (pid {Pid}) is gone; starting it again")]
    public static partial void Restarting(ILogger logger, string name, int pid);

    [LoggerMessage(110, LogLevel.Information, "Standby {Name} now follows the primary on 127.0.0.1:{PrimaryPort}")]
    public static partial void Repointed(ILogger logger, string name, int primaryPort);

    [LoggerMessage(130, LogLevel.Warning, "Synchronous replication: synchronous_standby_names is now {Names}")]
    public static partial void SynchronousNames(ILogger logger, string names);
}
