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

    /// <summary>The server's <c>max_connections</c>.</summary>
    public int MaxConnections { get; set; } = 100;

    /// <summary>Extra server settings, passed as <c>-c name=value</c> when this call starts the server.</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <summary>How long to wait for the server to start and accept connections.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
