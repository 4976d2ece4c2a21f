using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Api.Administration;
using Widgetify.Postgres;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Cli;

/// <summary>The database a verb works on: the server named by --database-url, or the embedded cluster in
/// --data-dir (started for the verb, or shared with a running './widgetify up'), with its local standbys when the
/// verb asks for them.</summary>
internal sealed partial class DatabaseTarget : IAsyncDisposable
{
    private readonly PostgresCluster? _cluster;
    private LocalStandbys? _standbys;

    private DatabaseTarget(string connectionString, PostgresCluster? cluster)
    {
        ConnectionString = connectionString;
        _cluster = cluster;
    }

    public string ConnectionString { get; }

    /// <summary>The embedded cluster's login for migrations (its superuser over the Unix socket, as the schema's owner);
    /// null with --database-url, whose migrations run as configured (Widgetify:Database:MigrationConnectionString).</summary>
    public string? MigrationConnectionString => _cluster?.MigrationConnectionString;

    /// <summary>Runs <paramref name="create"/> on the embedded cluster as the schema's owner, for tables a verb reads that
    /// the service creates at its start (the runtime role may not create them), so a database no service has run on yet
    /// reads as empty rather than failing; nothing with --database-url.</summary>
    public async Task CreateAsOwnerAsync(Func<NpgsqlDataSource, CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        if (MigrationConnectionString is { } migration)
        {
            await using var owner = NpgsqlDataSource.Create(migration);
            await create(owner, cancellationToken);
        }
    }

    /// <summary>Applies the migrations on the embedded cluster as the schema's owner, for a verb that then logs in as the
    /// runtime role, which may not change the schema; nothing with --database-url (the verb migrates as its login, which
    /// says which setting to give when it may not).</summary>
    public async Task MigrateAsOwnerAsync(CancellationToken cancellationToken)
    {
        if (MigrationConnectionString is { } migration)
        {
            await WidgetifyAdministration.MigrateAsOwnerAsync(migration, cancellationToken);
        }
    }

    /// <summary>The embedded cluster, when there is one.</summary>
    public PostgresCluster? Cluster => _cluster;

    /// <summary>The embedded cluster's local standbys, once <see cref="EnsureStandbysAsync"/> has run.</summary>
    public LocalStandbys? Standbys => _standbys;

    /// <summary>The server setting the embedded cluster sets to the pool review's recommendation.</summary>
    internal const string IdleInTransactionSetting = "idle_in_transaction_session_timeout";

    /// <summary>A minute, in milliseconds: the pool review's recommended value.</summary>
    internal const string IdleInTransactionMs = "60000";

    /// <summary>Opens the database of a verb. With <paramref name="existingOnly"/> (a verb that only works on a deployment
    /// that exists: it reads, or changes what is there), a --data-dir with no cluster is refused
    /// (<see cref="RequireExisting"/>) rather than made; --database-url is used as given either way.</summary>
    public static async Task<DatabaseTarget> OpenAsync(
        string? databaseUrl, string dataDirectory, ILogger logger, CancellationToken cancellationToken, string? backupDirectory = null,
        bool attachOnly = false, bool existingOnly = false)
    {
        if (!string.IsNullOrWhiteSpace(databaseUrl))
        {
            return new DatabaseTarget(ConnectionStrings.Normalize(databaseUrl), null);
        }

        if (existingOnly)
        {
            RequireExisting(dataDirectory);
        }

        var (clusterDirectory, why) = ClusterLocation.Resolve(dataDirectory, UnixAccount.IsRoot);
        if (why is not null)
        {
            LogElsewhere(logger, why);
        }

        var options = new PostgresClusterOptions { DataDirectory = clusterDirectory, BackupDirectory = backupDirectory, AttachOnly = attachOnly };
        // What the pool review recommends (ServerParameterRules): a session left idle in a transaction is ended after a
        // minute, releasing its locks and its connection slot. No Widgetify transaction waits on its client that long.
        options.Settings[IdleInTransactionSetting] = IdleInTransactionMs;
        var cluster = await PostgresCluster.StartAsync(options, logger, cancellationToken);
        return new DatabaseTarget(cluster.AppConnectionString, cluster);
    }

    /// <summary>Refuses a --data-dir that holds no cluster, before anything is created: a mistyped path given to a verb that
    /// reads (keys list, review, ...) would otherwise get a new, empty database, and its answer ("No API keys") would look
    /// like the real deployment's.</summary>
    /// <exception cref="CliFailureException">No cluster was made for <paramref name="dataDirectory"/>; the message says what to run.</exception>
    public static void RequireExisting(string dataDirectory)
    {
        if (ClusterLocation.FindExisting(dataDirectory) is not null)
        {
            return;
        }

        RequireDataDirectory(dataDirectory);
        throw new CliFailureException(
            $"'{dataDirectory}' holds no Widgetify database (no PostgreSQL cluster was made in it): {WhatToDo(dataDirectory)}");
    }

    /// <summary>Refuses a --data-dir that does not exist, for a verb that reads the folder itself (backup list, restore) and
    /// still has work when its cluster is gone.</summary>
    /// <exception cref="CliFailureException">There is no such folder; the message says what to run.</exception>
    public static void RequireDataDirectory(string dataDirectory)
    {
        if (!Directory.Exists(dataDirectory))
        {
            throw new CliFailureException($"No Widgetify data directory at '{dataDirectory}': {WhatToDo(dataDirectory)}");
        }
    }

    private static string WhatToDo(string dataDirectory) =>
        $"start one with './widgetify up --data-dir {dataDirectory}', or pass the --data-dir that 'up' runs with.";

    /// <summary>
    /// Brings the embedded cluster's local standbys to <paramref name="count"/> (reused, made, or the extra ones
    /// removed) and waits until they stream. A standby that cannot be had is logged with its reason and returned
    /// among the failures; the primary goes on either way.
    /// </summary>
    public async Task<StandbyOutcome> EnsureStandbysAsync(int count, bool synchronous, ILogger logger, CancellationToken cancellationToken)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("Local standbys need the embedded PostgreSQL, not --database-url.");
        _standbys ??= new LocalStandbys(cluster, new StandbyOptions { Synchronous = synchronous }, logger);
        return await _standbys.EnsureAsync(count, cancellationToken);
    }

    /// <summary>A connection string safe to print: the password is masked.</summary>
    public string Describe() => Describe(ConnectionString);

    /// <summary>Host, port, database and user of a connection string; never its password.</summary>
    public static string Describe(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{csb.Host}:{csb.Port}/{csb.Database} as {csb.Username}";
    }

    /// <summary>Stops the standbys first: a primary that stops first would leave them retrying to reach it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_standbys is not null)
            {
                await _standbys.DisposeAsync();
            }
        }
        catch (AggregateException ex)
        {
            // The primary must still stop cleanly; the standbys that did not will be adopted by the next 'up'.
            await Console.Error.WriteLineAsync($"widgetify: {ex.Message}");
        }
        finally
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL's files are not in the data folder: {Why}")]
    private static partial void LogElsewhere(ILogger logger, string why);
}
