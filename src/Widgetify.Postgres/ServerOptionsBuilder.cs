using System.Globalization;
using System.Text;

namespace Widgetify.Postgres;

/// <summary>Builds the postgres options string that <c>pg_ctl start -o</c> passes to the server.</summary>
internal static class ServerOptionsBuilder
{
    /// <summary>
    /// What every embedded server runs with, so that standbys can be added to a running primary: these settings
    /// only change on a restart. Settings in the options replace them (tests lower them to provoke refusals).
    /// </summary>
    internal static readonly IReadOnlyList<KeyValuePair<string, string>> ReplicationDefaults =
    [
        // PostgreSQL 15's default, stated so that no postgresql.conf edit can take streaming away.
        new("wal_level", "replica"),
        // A standby holds one WAL sender and one slot; pg_basebackup -X stream holds two senders while it copies.
        // 10 each (PostgreSQL's defaults) let 9 standbys run (the 9th made while 8 stream): more than one machine carries.
        new("max_wal_senders", "10"),
        new("max_replication_slots", "10"),
        // A slot keeps WAL until its standby has it, so a standby that is down would fill the primary's disk.
        // With this bound, slots keep at most 1 GB of WAL (checked at each checkpoint); a slot further behind is
        // invalidated, and its standby is rebuilt by a new base backup when it is started again.
        new("max_slot_wal_keep_size", "1GB"),
        // After a crash (kill -9 and the supervisor's restart) the server first syncs its whole data directory; file by
        // file (the default) that took 5 s of the 7.6 s a restart lasted here, one syncfs() per file system a few ms.
        new("recovery_init_sync_method", "syncfs"),
    ];

    public static string Build(int port, PostgresClusterOptions options, string socketDirectory)
    {
        List<KeyValuePair<string, string>> settings =
        [
            // Loopback TCP only: nothing outside the machine can reach the newcomer/test server.
            new("listen_addresses", "127.0.0.1"),
            // The cluster's own socket folder (not /var/run/postgresql, which may not exist or be writable, and where two
            // clusters would clash): the superuser logs in only through it, with peer authentication (ClusterAccess).
            new("unix_socket_directories", socketDirectory),
            new("max_connections", options.MaxConnections.ToString(CultureInfo.InvariantCulture)),
        ];
        if (!options.Durable)
        {
            // Throwaway test data: trade crash safety for speed.
            settings.Add(new("fsync", "off"));
            settings.Add(new("synchronous_commit", "off"));
            settings.Add(new("full_page_writes", "off"));
        }

        foreach (var (name, value) in ReplicationDefaults)
        {
            if (!options.Settings.Keys.Any(setting => string.Equals(setting, name, StringComparison.OrdinalIgnoreCase)))
            {
                settings.Add(new(name, value));
            }
        }

        foreach (var (name, value) in options.Settings)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                throw new ArgumentException($"Settings: '{name}' is not a valid PostgreSQL setting name.", nameof(options));
            }

            if (string.Equals(name, "port", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Set the port with {nameof(PostgresClusterOptions.Port)}, not in Settings.", nameof(options));
            }

            settings.Add(new(name, value));
        }

        var builder = new StringBuilder("-p ").Append(port.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in settings)
        {
            builder.Append(" -c ").Append(ShellQuote($"{name}={value}"));
        }

        return builder.ToString();
    }

    /// <summary>
    /// pg_ctl pastes the -o string into a /bin/sh command line, so every argument is single-quoted
    /// ('it'\''s' for an embedded quote) to reach postgres exactly as given.
    /// </summary>
    internal static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
