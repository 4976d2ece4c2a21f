namespace Widgetify.Postgres;

/// <summary>
/// Settings for <see cref="PostgresCluster.StartAsync"/>: where the cluster lives and how its server runs.
/// </summary>
public sealed class PostgresClusterOptions
{
    /// <summary>
    /// Root folder of the local cluster, for example <c>.widgetify</c>. Layout inside it:
    /// <list type="bullet">
    /// <item><description><c>pg/</c>: PGDATA (mode 0700, owned by <c>postgres</c> when running as root).</description></item>
    /// <item><description><c>logs/postgresql.log</c>: the server log.</description></item>
    /// <item><description><c>pg-credentials.json</c>: generated passwords, mode 0600, created on first init.</description></item>
    /// <item><description><c>owner.pid</c>: pid of the process that owns (and will stop) the running server.</description></item>
    /// <item><description><c>standbys/&lt;name&gt;/</c>: each standby (<see cref="Standbys.LocalStandbys"/>), laid out the same way.</description></item>
    /// <item><description><c>backups/</c>: the WAL archive and base backups, unless <see cref="BackupDirectory"/> says elsewhere.</description></item>
    /// </list>
    /// </summary>
    public required string DataDirectory { get; set; }

    /// <summary>
    /// TCP port on 127.0.0.1. <see langword="null"/> picks a free loopback port (and retries the start on a
    /// new port up to 3 times). Ignored when a server is already running for the data directory.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>
    /// Folder holding <c>initdb</c> and <c>pg_ctl</c>. <see langword="null"/> uses the <c>WIDGETIFY_PG_BINDIR</c>
    /// environment variable, else <c>pg_config --bindir</c> when it contains <c>initdb</c>, else the highest
    /// <c>/usr/lib/postgresql/*/bin</c>.
    /// </summary>
    public string? BinDirectory { get; set; }

    /// <summary>
    /// <see langword="true"/> (default) keeps PostgreSQL's crash safety. <see langword="false"/> (tests) runs
    /// <c>initdb --no-sync</c> and the server with <c>fsync</c>, <c>synchronous_commit</c> and
    /// <c>full_page_writes</c> off: much faster, but a crash of the machine may lose or corrupt data.
    /// </summary>
    public bool Durable { get; set; } = true;

    /// <summary>
    /// <see langword="true"/>: only attach to the server already running for the data directory; never initialize a
    /// cluster or start a server (the start fails instead). For a process that another one runs the server for: a
    /// 'cluster up' fleet's instances and 'cluster status', whose coordinator starts and restarts it.
    /// </summary>
    public bool AttachOnly { get; set; }

    /// <summary>The server's <c>max_connections</c>.</summary>
    public int MaxConnections { get; set; } = 100;

    /// <summary>Extra server settings, passed as <c>-c name=value</c> when this call starts the server.</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <summary>
    /// <see langword="true"/> (default) archives every WAL segment into the backup folder (<c>archive_mode=on</c>,
    /// <c>archive_timeout</c> 60 s), which point-in-time restore needs. Settings given in <see cref="Settings"/> win.
    /// </summary>
    public bool WalArchiving { get; set; } = true;

    /// <summary>
    /// The backup folder (WAL archive and base backups). <see langword="null"/> (default) uses the one recorded by an
    /// earlier start, else <c>backups/</c> in <see cref="DataDirectory"/>. A folder given here is recorded for later starts.
    /// </summary>
    public string? BackupDirectory { get; set; }

    /// <summary>How long to wait for the server to start and accept connections.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A copy with <paramref name="extra"/> added to <see cref="Settings"/> where the copy does not set them already.</summary>
    internal PostgresClusterOptions With(IReadOnlyDictionary<string, string> extra)
    {
        var copy = new PostgresClusterOptions
        {
            DataDirectory = DataDirectory,
            Port = Port,
            BinDirectory = BinDirectory,
            Durable = Durable,
            MaxConnections = MaxConnections,
            WalArchiving = WalArchiving,
            BackupDirectory = BackupDirectory,
            StartTimeout = StartTimeout,
            AttachOnly = AttachOnly,
        };
        foreach (var (name, value) in Settings)
        {
            copy.Settings[name] = value;
        }

        foreach (var (name, value) in extra)
        {
            if (!copy.Settings.Keys.Any(setting => string.Equals(setting, name, StringComparison.OrdinalIgnoreCase)))
            {
                copy.Settings[name] = value;
            }
        }

        return copy;
    }
}
