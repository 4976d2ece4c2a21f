using System.Globalization;

namespace Widgetify.Postgres;

/// <summary>Locates the PostgreSQL server programs (initdb, pg_ctl, pg_basebackup).</summary>
internal sealed class PostgresBinaries
{
    public const string BinDirectoryVariable = "WIDGETIFY_PG_BINDIR";

    private PostgresBinaries(string binDirectory)
    {
        BinDirectory = binDirectory;
    }

    public string BinDirectory { get; }

    public string InitDb => Path.Combine(BinDirectory, "initdb");

    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>Copies a running primary into a standby's PGDATA; shipped with the server in the same folder.</summary>
    public string PgBaseBackup => Path.Combine(BinDirectory, "pg_basebackup");

    /// <summary>
    /// Explicit option, then WIDGETIFY_PG_BINDIR, then pg_config --bindir (Debian's pg_config may point at
    /// /usr/bin, which lacks initdb), then the newest /usr/lib/postgresql/*/bin.
    /// </summary>
    public static async Task<PostgresBinaries> ResolveAsync(string? configured, CancellationToken cancellationToken)
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

        var fromPgConfig = await TryPgConfigAsync(cancellationToken);
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

    private static bool HasServerPrograms(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    private static async Task<string?> TryPgConfigAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await ProcessRunner.RunAsync("pg_config", ["--bindir"], null, cancellationToken);
            var directory = result.StandardOutput.Trim();
            return result.Succeeded && directory.Length > 0 ? directory : null;
        }
        catch (InvalidOperationException)
        {
            // pg_config is not installed: fall through to the well-known Debian layout.
            return null;
        }
    }

    private static string? FindNewestDebianBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        // Sort by the numeric major version so 15 beats 9.6 (a string sort would not).
        return Directory.EnumerateDirectories(root)
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
