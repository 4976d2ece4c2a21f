namespace Widgetify.Postgres;

/// <summary>Paths inside the root folder; one place so the layout documented on the options cannot drift.</summary>
internal sealed class ClusterLayout
{
    public ClusterLayout(string dataDirectory)
    {
        // Full, trailing-slash-free paths: they are compared with what the postmaster reports about itself.
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory));
        PgData = Path.Combine(Root, "pg");
        LogDirectory = Path.Combine(Root, "logs");
        LogFile = Path.Combine(LogDirectory, "postgresql.log");
        CredentialsFile = Path.Combine(Root, "pg-credentials.json");
        OwnerPidFile = Path.Combine(Root, "owner.pid");
        PostmasterPidFile = Path.Combine(PgData, "postmaster.pid");
        LockFile = Path.Combine(Root, ".start.lock");
    }

    public string Root { get; }

    public string PgData { get; }

    public string LogDirectory { get; }

    public string LogFile { get; }

    public string CredentialsFile { get; }

    public string OwnerPidFile { get; }

    public string PostmasterPidFile { get; }

    /// <summary>Held while one process inspects and starts the server, so two starts cannot race.</summary>
    public string LockFile { get; }

    /// <summary>initdb writes PG_VERSION last-ish; its absence means no (complete) cluster yet.</summary>
    public bool IsInitialized => File.Exists(Path.Combine(PgData, "PG_VERSION"));
}
