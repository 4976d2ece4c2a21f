using System.Security.Cryptography;
using System.Text;

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
        SocketDirectory = ChooseSocketDirectory(Root);
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

    /// <summary>The server's Unix socket folder (<c>run/</c>), through which local administration logs in as the superuser
    /// with peer authentication. A socket path is limited to 107 bytes; under a root too deep for that, a folder named after
    /// the root in the temp folder.</summary>
    public string SocketDirectory { get; }

    public string HbaFile => Path.Combine(PgData, "pg_hba.conf");

    public string IdentFile => Path.Combine(PgData, "pg_ident.conf");

    /// <summary>initdb writes PG_VERSION last-ish; its absence means no (complete) cluster yet.</summary>
    public bool IsInitialized => File.Exists(Path.Combine(PgData, "PG_VERSION"));

    private static string ChooseSocketDirectory(string root)
    {
        const int MaxSocketPath = 107;
        var run = Path.Combine(root, "run");
        if (Path.Combine(run, ".s.PGSQL.65535.lock").Length <= MaxSocketPath)
        {
            return run;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
        return Path.Combine(Path.GetTempPath(), $"widgetify-run-{hash}");
    }
}
