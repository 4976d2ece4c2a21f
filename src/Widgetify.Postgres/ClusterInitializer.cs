using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace Widgetify.Postgres;

/// <summary>Creates the folder layout and runs initdb on first use; a standby's layout is prepared the same way.</summary>
[UnsupportedOSPlatform("windows")]
internal sealed class ClusterInitializer
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly PostgresBinaries binaries;
    private readonly ClusterLayout layout;
    private readonly ProcessRunner runner;
    private readonly ILogger logger;

    public ClusterInitializer(PostgresBinaries binaries, ClusterLayout layout, ProcessRunner runner, ILogger logger)
    {
        this.binaries = binaries;
        this.layout = layout;
        this.runner = runner;
        this.logger = logger;
    }

    /// <summary>
    /// Creates the root and log folders (every start, since they may have been deleted) and, when root, makes
    /// sure the postgres user can reach and write them.
    /// </summary>
    public async Task PrepareLayoutAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(layout.Root);
        Directory.CreateDirectory(layout.LogDirectory);
        if (!runner.RunServerCommandsAsPostgres)
        {
            return;
        }

        UnixAccount.EnsureTraversableByOthers(layout.Root);
        // The root folder is ours: let postgres pass through it. Secrets inside it are 0600 on their own.
        var rootMode = File.GetUnixFileMode(layout.Root);
        if ((rootMode & UnixFileMode.OtherExecute) == 0)
        {
            File.SetUnixFileMode(layout.Root, rootMode | UnixFileMode.OtherExecute);
        }

        // pg_ctl -l opens the log as postgres.
        List<string> owned = [layout.LogDirectory];
        if (File.Exists(layout.LogFile))
        {
            owned.Add(layout.LogFile);
        }

        await UnixAccount.ChownToPostgresAsync(owned, cancellationToken);
    }

    /// <summary>Runs initdb; PGDATA must not hold a complete cluster. The superuser gets no password: it logs in only over
    /// the Unix socket with peer authentication (<see cref="ClusterAccess"/> writes the rules before the first start).</summary>
    public async Task InitializeAsync(bool durable, CancellationToken cancellationToken)
    {
        Log.RunningInitDb(logger, layout.PgData, binaries.BinDirectory);
        await CreateEmptyPgDataAsync(cancellationToken);
        var result = await RunInitDbAsync("C.UTF-8", durable, cancellationToken);
        if (!result.Succeeded && (result.StandardError + result.StandardOutput).Contains("locale", StringComparison.OrdinalIgnoreCase))
        {
            // Minimal images may lack the C.UTF-8 locale; plain C sorts bytewise and is always there.
            Log.InitDbLocaleFallback(logger);
            await CreateEmptyPgDataAsync(cancellationToken);
            result = await RunInitDbAsync("C", durable, cancellationToken);
        }

        ProcessRunner.EnsureSuccess(result);
    }

    private Task<ProcessResult> RunInitDbAsync(string locale, bool durable, CancellationToken cancellationToken)
    {
        List<string> arguments =
        [
            "-D", layout.PgData,
            "-U", ClusterDatabase.AdminUser,
            // Until ClusterAccess replaces pg_hba.conf before the first start; nothing can log in with a password meanwhile.
            "--auth-local=peer",
            "--auth-host=reject",
            "-E", "UTF8",
            $"--locale={locale}",
        ];
        if (!durable)
        {
            arguments.Add("--no-sync");
        }

        return runner.RunServerCommandAsync(binaries.InitDb, arguments, layout.Root, cancellationToken);
    }

    /// <summary>
    /// initdb and pg_basebackup need an empty PGDATA owned by the server user. A non-empty one without PG_VERSION
    /// is the remains of an interrupted initdb or base backup and holds no data worth keeping.
    /// </summary>
    public async Task CreateEmptyPgDataAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(layout.PgData) && Directory.EnumerateFileSystemEntries(layout.PgData).Any())
        {
            Log.RemovingPartialCluster(logger, layout.PgData);
            Directory.Delete(layout.PgData, recursive: true);
        }

        Directory.CreateDirectory(layout.PgData, OwnerOnlyDirectory);
        File.SetUnixFileMode(layout.PgData, OwnerOnlyDirectory);
        if (runner.RunServerCommandsAsPostgres)
        {
            await UnixAccount.ChownToPostgresAsync([layout.PgData], cancellationToken);
        }
    }
}
