namespace Widgetify.Postgres.Standbys;

/// <summary>
/// How standbys are made, started and awaited, for <see cref="PostgresStandby.StartAsync"/> and
/// <see cref="LocalStandbys"/>. What a standby runs with is not set here: it follows its primary (its limits,
/// its durability), because a hot standby with lower limits than its primary refuses to start.
/// </summary>
public sealed class StandbyOptions
{
    /// <summary>The standby's port on 127.0.0.1.</summary>
    /// <value>Default <see langword="null"/>: a free port is picked (and the start retried on another one up to 3
    /// times, as for the primary). <see cref="LocalStandbys"/> gives each standby its own free port and refuses
    /// a fixed one.</value>
    public int? Port { get; set; }

    /// <summary>How long <c>pg_basebackup</c> may take to copy the primary.</summary>
    /// <value>Default 10 minutes, enough for a few GB over loopback; more than 0.</value>
    public TimeSpan BaseBackupTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the standby may take to start and accept connections (it replays WAL first).</summary>
    /// <value>Default 60 s, as for the primary; more than 0.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long <see cref="LocalStandbys"/> waits for a standby to stream before it reports it as failed.</summary>
    /// <value>Default 60 s; more than 0. A fresh standby streams within a second or two of its start here.</value>
    public TimeSpan StreamingTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock of every timeout and poll interval above.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Whether commits on the primary wait until a standby has applied them (<c>synchronous_standby_names =
    /// 'ANY 1 (...)'</c> over the streaming standbys, <c>synchronous_commit = remote_apply</c> for the app's database), so
    /// that losing the primary loses no acknowledged write. Kept in step with the standbys that stream: with none, commits
    /// stop waiting rather than block (logged). Off: asynchronous replication, whose loss bound is the standbys' lag.</summary>
    /// <value>Default false.</value>
    public bool Synchronous { get; set; }

    /// <summary>Checks the values and copies them, so that a later change by the caller has no effect.</summary>
    internal StandbyOptions ValidatedCopy(string parameterName)
    {
        if (Port is { } port)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(port, 1, parameterName);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535, parameterName);
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BaseBackupTimeout, TimeSpan.Zero, parameterName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StartTimeout, TimeSpan.Zero, parameterName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StreamingTimeout, TimeSpan.Zero, parameterName);
        ArgumentNullException.ThrowIfNull(TimeProvider, parameterName);
        return new StandbyOptions
        {
            Port = Port,
            BaseBackupTimeout = BaseBackupTimeout,
            StartTimeout = StartTimeout,
            StreamingTimeout = StreamingTimeout,
            TimeProvider = TimeProvider,
            Synchronous = Synchronous,
        };
    }
}
