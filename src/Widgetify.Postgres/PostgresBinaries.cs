using System.Globalization;

namespace Widgetify.Postgres;

/// <summary>Locates the PostgreSQL server programs (initdb, pg_ctl, pg_basebackup).</summary>
internal sealed class PostgresBinaries
{
    public const string BinDirectoryVariable = "WIDGETIFY_PG_BINDIR";

    private const string DebianRoot = "/usr/lib/postgresql";

    private PostgresBinaries(string binDirectory)
    {
        BinDirectory = binDirectory;
    }

    public string BinDirectory { get; }

    public string InitDb => Path.Combine(BinDirectory, "initdb");

    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>Copies a running primary into a standby's PGDATA; shipped with the server in the same folder.</summary>
    public string PgBaseBackup => Path.Combine(BinDirectory, "pg_basebackup");

    /// <summary>Removes archived WAL segments older than a given one (backup retention).</summary>
    public string PgArchiveCleanup => Path.Combine(BinDirectory, "pg_archivecleanup");

    /// <summary>
    /// Explicit option, then WIDGETIFY_PG_BINDIR, then pg_config --bindir (Debian's pg_config may point at
    /// /usr/bin, which lacks initdb), then the newest /usr/lib/postgresql/*/bin.
    /// </summary>
    public static Task<PostgresBinaries> ResolveAsync(string? configured, CancellationToken cancellationToken) =>
        ResolveAsync(configured, null, cancellationToken);

    /// <summary>
    /// As <see cref="ResolveAsync(string?, CancellationToken)"/>, but a cluster that exists already is run by the major
    /// version that created it (its PG_VERSION), never by a newer one that an apt upgrade installed beside it: a server
    /// refuses another major version's files, and the upgrade is a deliberate pg_upgrade, not a side effect of a start.
    /// An explicit folder (option or WIDGETIFY_PG_BINDIR) is the operator's choice and is used as given.
    /// </summary>
    public static async Task<PostgresBinaries> ResolveAsync(string? configured, ClusterLayout? layout, CancellationToken cancellationToken)
    {
        var explicitDirectory = !string.IsNullOrWhiteSpace(configured)
            ? configured
            : Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            var full = Path.GetFullPath(explicitDirectory);
            return HasServerPrograms(full)
                ? new PostgresBinaries(full)
                : throw new InvalidOperationException(
                    $"PostgreSQL bin directory '{full}' (from the options or {BinDirectoryVariable}) has no initdb and pg_ctl.");
        }

        var pinned = layout is { IsInitialized: true } ? ReadClusterVersion(layout) : null;
        if (pinned is not null)
        {
            return await ResolvePinnedAsync(pinned, layout!, cancellationToken);
        }

        var fromPgConfig = await TryPgConfigAsync("--bindir", cancellationToken);
        if (fromPgConfig is not null && HasServerPrograms(fromPgConfig))
        {
            return new PostgresBinaries(fromPgConfig);
        }

        var newest = FindNewestDebianBinDirectory();
        return newest is not null
            ? new PostgresBinaries(newest)
            : throw new InvalidOperationException(
                "PostgreSQL server programs (initdb, pg_ctl) were not found. Install PostgreSQL 15 " +
                $"(e.g. 'apt-get install postgresql-15'), or set {BinDirectoryVariable} to the folder that holds initdb.");
    }

    /// <summary>The binaries of major <paramref name="version"/> (a backup's), with the same message as a cluster's pin when missing.</summary>
    internal static Task<PostgresBinaries> ResolveForVersionAsync(string version, ClusterLayout layout, CancellationToken cancellationToken)
    {
        var configured = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        return string.IsNullOrWhiteSpace(configured) ? ResolvePinnedAsync(version, layout, cancellationToken) : ResolveAsync(configured, cancellationToken);
    }

    /// <summary>The major version in PGDATA/PG_VERSION ("15"), written by initdb and never changed except by pg_upgrade.</summary>
    internal static string ReadClusterVersion(ClusterLayout layout) => File.ReadAllText(Path.Combine(layout.PgData, "PG_VERSION")).Trim();

    private static async Task<PostgresBinaries> ResolvePinnedAsync(string pinned, ClusterLayout layout, CancellationToken cancellationToken)
    {
        var debian = Path.Combine(DebianRoot, pinned, "bin");
        if (HasServerPrograms(debian))
        {
            return new PostgresBinaries(debian);
        }

        var fromPgConfig = await TryPgConfigAsync("--bindir", cancellationToken);
        var pgConfigVersion = await TryPgConfigAsync("--version", cancellationToken);
        if (fromPgConfig is not null && HasServerPrograms(fromPgConfig) && MajorOf(pgConfigVersion) == pinned)
        {
            return new PostgresBinaries(fromPgConfig);
        }

        var installed = InstalledDebianVersions();
        throw new InvalidOperationException(
            $"The cluster in '{layout.PgData}' was created by PostgreSQL {pinned} (its PG_VERSION file), but PostgreSQL {pinned}'s " +
            $"server programs are not installed (not in '{debian}'{(pgConfigVersion is null ? "" : $", and pg_config is {pgConfigVersion}")}; " +
            $"installed: {(installed.Count == 0 ? "none" : string.Join(", ", installed.Select(v => $"PostgreSQL {v}")))}). " +
            $"A server of another major version cannot open these files. Either install PostgreSQL {pinned} again " +
            $"('apt-get install postgresql-{pinned}') and keep running it, or upgrade the cluster with pg_upgrade, which needs both " +
            $"versions installed: the steps are in docs/operations.md, 'PostgreSQL major upgrades'. " +
            $"({BinDirectoryVariable} may name PostgreSQL {pinned}'s bin folder if it is installed elsewhere.)");
    }

    private static string? MajorOf(string? pgConfigVersion)
    {
        // "PostgreSQL 15.10 (Debian 15.10-1.pgdg120+1)" -> "15"; "PostgreSQL 9.6.24" -> "9.6" (before 10, two numbers).
        var words = pgConfigVersion?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words is not { Length: >= 2 })
        {
            return null;
        }

        var parts = words[1].Split('.');
        return parts[0] is "9" && parts.Length > 1 ? $"9.{parts[1]}" : parts[0];
    }

    private static bool HasServerPrograms(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    private static async Task<string?> TryPgConfigAsync(string option, CancellationToken cancellationToken)
    {
        try
        {
            var result = await ProcessRunner.RunAsync("pg_config", [option], null, cancellationToken);
            var directory = result.StandardOutput.Trim();
            return result.Succeeded && directory.Length > 0 ? directory : null;
        }
        catch (InvalidOperationException)
        {
            // pg_config is not installed: fall through to the well-known Debian layout.
            return null;
        }
    }

    private static List<string> InstalledDebianVersions() => !Directory.Exists(DebianRoot)
        ? []
        : [.. Directory.EnumerateDirectories(DebianRoot)
            .Where(directory => HasServerPrograms(Path.Combine(directory, "bin")))
            .Select(directory => Path.GetFileName(directory))
            .Order(StringComparer.Ordinal)];

    private static string? FindNewestDebianBinDirectory()
    {
        if (!Directory.Exists(DebianRoot))
        {
            return null;
        }

        // Sort by the numeric major version so 15 beats 9.6 (a string sort would not).
        return Directory.EnumerateDirectories(DebianRoot)
            .Select(versionDirectory => (Version: ParseVersion(Path.GetFileName(versionDirectory)), Bin: Path.Combine(versionDirectory, "bin")))
            .Where(candidate => candidate.Version is not null && HasServerPrograms(candidate.Bin))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => candidate.Bin)
            .FirstOrDefault();
    }

    private static Version? ParseVersion(string name) =>
        int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            ? new Version(major, 0)
            : Version.TryParse(name, out var version) ? version : null;
}
