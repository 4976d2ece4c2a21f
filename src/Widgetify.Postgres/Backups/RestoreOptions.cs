namespace Widgetify.Postgres.Backups;

/// <summary>Settings for <see cref="ClusterRestore.RestoreAsync"/>.</summary>
public sealed class RestoreOptions
{
    /// <summary>The cluster's root folder (the one holding <c>pg/</c>); its server must be stopped.</summary>
    public required string DataDirectory { get; set; }

    /// <summary>Restore every transaction committed up to this time; <see langword="null"/> restores all the WAL there is ("latest").</summary>
    public DateTimeOffset? Target { get; set; }

    /// <summary>The backup to start from; <see langword="null"/> picks the newest one that finished before <see cref="Target"/>.</summary>
    public string? BackupId { get; set; }

    /// <summary>As <see cref="PostgresClusterOptions.Durable"/>: <see langword="false"/> only for throwaway test clusters.</summary>
    public bool Durable { get; set; } = true;

    /// <summary>How long the replay may take before the restore gives up (the server is then stopped, the files kept).</summary>
    /// <value>Default 30 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The clock for "in the future" and the name of the folder the old cluster is moved to.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
