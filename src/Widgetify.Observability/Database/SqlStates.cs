using System.Collections.Frozen;

namespace Widgetify.Observability.Database;

/// <summary>PostgreSQL's error codes (SQLSTATE, Appendix A of its manual) in the words an operator reads: the condition's
/// name (<c>disk_full</c>), a description with the code ("disk full (53100)"), and what to do about the ones that mean
/// the server cannot write (class 53, insufficient resources; class 58, system error). One table, so the metric's labels,
/// the readiness check, the alert and the 503 all name a failure the same way.</summary>
public static class SqlStates
{
    /// <summary>disk_full: the server could not extend a file or write a temporary one.</summary>
    public const string DiskFull = "53100";

    /// <summary>out_of_memory.</summary>
    public const string OutOfMemory = "53200";

    /// <summary>too_many_connections: no connection slot left on the server.</summary>
    public const string TooManyConnections = "53300";

    /// <summary>io_error: the server could not read or write one of its files.</summary>
    public const string IoError = "58030";

    /// <summary>The codes every instance reports from its start (at 0), so a fleet's rules see them rise from 0.</summary>
    public static IReadOnlyList<string> CannotWriteCodes { get; } = [DiskFull, OutOfMemory, TooManyConnections, IoError];

    private static readonly FrozenDictionary<string, string> Conditions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["08000"] = "connection_exception",
        ["08001"] = "sqlclient_unable_to_establish_sqlconnection",
        ["08003"] = "connection_does_not_exist",
        ["08004"] = "sqlserver_rejected_establishment_of_sqlconnection",
        ["08006"] = "connection_failure",
        ["08007"] = "transaction_resolution_unknown",
        ["08P01"] = "protocol_violation",
        ["25006"] = "read_only_sql_transaction",
        ["40001"] = "serialization_failure",
        ["40P01"] = "deadlock_detected",
        ["53000"] = "insufficient_resources",
        [DiskFull] = "disk_full",
        [OutOfMemory] = "out_of_memory",
        [TooManyConnections] = "too_many_connections",
        ["53400"] = "configuration_limit_exceeded",
        ["54000"] = "program_limit_exceeded",
        ["55P03"] = "lock_not_available",
        ["57P01"] = "admin_shutdown",
        ["57P02"] = "crash_shutdown",
        ["57P03"] = "cannot_connect_now",
        ["57P04"] = "database_dropped",
        ["58000"] = "system_error",
        [IoError] = "io_error",
        ["58P01"] = "undefined_file",
        ["58P02"] = "duplicate_file",
        ["XX000"] = "internal_error",
        ["XX001"] = "data_corrupted",
        ["XX002"] = "index_corrupted",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> Classes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["08"] = "connection_exception",
        ["22"] = "data_exception",
        ["23"] = "integrity_constraint_violation",
        ["25"] = "invalid_transaction_state",
        ["40"] = "transaction_rollback",
        ["42"] = "syntax_error_or_access_rule_violation",
        ["53"] = "insufficient_resources",
        ["54"] = "program_limit_exceeded",
        ["55"] = "object_not_in_prerequisite_state",
        ["57"] = "operator_intervention",
        ["58"] = "system_error",
        ["XX"] = "internal_error",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The class: the code's first two characters (<c>53</c> for 53100).</summary>
    public static string ClassOf(string sqlState)
    {
        ArgumentNullException.ThrowIfNull(sqlState);
        return sqlState.Length >= 2 ? sqlState[..2] : sqlState;
    }

    /// <summary>PostgreSQL's name for the condition (<c>disk_full</c>); for a code not in the table, its class's name, or
    /// <c>other</c>.</summary>
    public static string Condition(string sqlState) =>
        Conditions.GetValueOrDefault(sqlState) ?? Classes.GetValueOrDefault(ClassOf(sqlState)) ?? "other";

    /// <summary>The condition in words with its code: "disk full (53100)".</summary>
    public static string Describe(string sqlState) => $"{Condition(sqlState).Replace('_', ' ')} ({sqlState})";

    /// <summary>Whether the code means the server cannot write for its own reasons, whatever the write: it ran out of a
    /// resource (class 53: disk, memory, connection slots) or its storage failed (class 58). DatabaseWritesFailing fires
    /// on these.</summary>
    public static bool MeansCannotWrite(string sqlState) => ClassOf(sqlState) is "53" or "58";

    /// <summary>Whether a failed write with this code is the client's doing (class 22, a bad value; class 23, a constraint,
    /// such as a duplicate key) or a statement cancelled at the request's deadline (57014, counted as a shed): not a
    /// failure of the database to write.</summary>
    public static bool IsClientsOrDeadlines(string sqlState) => ClassOf(sqlState) is "22" or "23" || sqlState == "57014";

    /// <summary>What an operator does about a code that <see cref="MeansCannotWrite"/>, in one sentence.</summary>
    public static string WhatToDo(string sqlState) => sqlState switch
    {
        DiskFull => "Free disk space on the database server or grow its volume (the data directory, a tablespace, or pg_wal); reads keep working meanwhile.",
        OutOfMemory => "The database server ran out of memory: look for a runaway query, lower work_mem or max_connections, or give the host more memory.",
        TooManyConnections => "The database server has no connection slot left: see DbConnectionsNearLimit; find who holds the connections before raising max_connections.",
        IoError => "The database server could not read or write its files: check the disk and the server's log (dmesg) before anything else; a failing disk needs a failover.",
        _ when ClassOf(sqlState) == "53" => "The database server ran out of a resource: its log names which.",
        _ when ClassOf(sqlState) == "58" => "The database server's storage failed: check the disk and the server's log.",
        _ => "See the database server's log.",
    };
}
