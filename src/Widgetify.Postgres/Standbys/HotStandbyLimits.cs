using System.Globalization;
using Npgsql;

namespace Widgetify.Postgres.Standbys;

/// <summary>
/// The primary's settings a hot standby must match or exceed, read from the running primary each time a standby
/// starts: PostgreSQL stops a standby whose limits are lower than the primary's, and the primary's may have been
/// raised since the standby was made.
/// </summary>
internal sealed class HotStandbyLimits
{
    /// <summary>The settings PostgreSQL checks at a hot standby's start against the values in the WAL.</summary>
    internal static readonly string[] Names =
        ["max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"];

    private readonly IReadOnlyDictionary<string, string> values;

    private HotStandbyLimits(IReadOnlyDictionary<string, string> values, bool primaryIsDurable)
    {
        this.values = values;
        PrimaryIsDurable = primaryIsDurable;
    }

    /// <summary>False when the primary runs with fsync off (tests): its standbys then skip syncing too.</summary>
    public bool PrimaryIsDurable { get; }

    public static async Task<HotStandbyLimits> ReadAsync(string primaryAdminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(primaryAdminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT name, setting FROM pg_settings WHERE name = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Names.Append("fsync").ToArray() });
        Dictionary<string, string> read = [];
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                read[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var missing = Names.Where(name => !read.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The primary's pg_settings has no {string.Join(", ", missing)}: is it PostgreSQL 15 or later?");
        }

        return new HotStandbyLimits(read, primaryIsDurable: read.GetValueOrDefault("fsync") != "off");
    }

    /// <summary>How the standby's server runs: the primary's limits, reads allowed, and feedback on.</summary>
    public PostgresClusterOptions ServerOptions(string standbyRoot, StandbyOptions options)
    {
        var serverOptions = new PostgresClusterOptions
        {
            DataDirectory = standbyRoot,
            Port = options.Port,
            Durable = PrimaryIsDurable,
            MaxConnections = int.Parse(values["max_connections"], NumberStyles.None, CultureInfo.InvariantCulture),
            StartTimeout = options.StartTimeout,
        };
        foreach (var name in Names.Where(name => name != "max_connections"))
        {
            serverOptions.Settings[name] = values[name];
        }

        // Serve reads while replaying (PostgreSQL's default, stated so that no postgresql.conf can turn it off).
        serverOptions.Settings["hot_standby"] = "on";
        // Tells the primary which rows the standby's queries still read, so that VACUUM on the primary keeps them
        // and replay never has to cancel a read (the per-second view-count UPDATEs would otherwise make dead rows
        // that conflict with reads of the same widgets).
        serverOptions.Settings["hot_standby_feedback"] = "on";
        return serverOptions;
    }
}
