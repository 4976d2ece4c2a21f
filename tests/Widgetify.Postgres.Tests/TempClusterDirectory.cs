namespace Widgetify.Postgres.Tests;

/// <summary>
/// A unique root folder under the temp path for one test. Disposing it kills any server a failed test left
/// running there, primary or standby (so no postmaster outlives the test run), and deletes the folder.
/// </summary>
public sealed class TempClusterDirectory : IAsyncDisposable
{
    public TempClusterDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"widgetify-pg-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string PgData => System.IO.Path.Combine(Path, "pg");

    public string PostmasterPidFile => System.IO.Path.Combine(PgData, "postmaster.pid");

    public string OwnerPidFile => System.IO.Path.Combine(Path, "owner.pid");

    public string CredentialsFile => System.IO.Path.Combine(Path, "pg-credentials.json");

    /// <summary>Fast, throwaway settings: no fsync, small connection limit.</summary>
    public PostgresClusterOptions Options(int maxConnections = 20) => new()
    {
        DataDirectory = Path,
        Durable = false,
        MaxConnections = maxConnections,
        StartTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>The PGDATA of every standby made under this root.</summary>
    public IEnumerable<string> StandbyPgDatas =>
        Directory.Exists(System.IO.Path.Combine(Path, "standbys"))
            ? Directory.EnumerateDirectories(System.IO.Path.Combine(Path, "standbys")).Select(standby => System.IO.Path.Combine(standby, "pg"))
            : [];

    public async ValueTask DisposeAsync()
    {
        // Standbys first, in the order the CLI stops them.
        foreach (var pgData in StandbyPgDatas.Append(PgData))
        {
            var pidFile = Widgetify.Postgres.PostmasterPidFile.TryRead(System.IO.Path.Combine(pgData, "postmaster.pid"));
            if (pidFile is not null && ProcessInspector.IsAlive(pidFile.Pid))
            {
                var binaries = await PostgresBinaries.ResolveAsync(null, CancellationToken.None);
                await ProcessRunner.Instance.RunServerCommandAsync(
                    binaries.PgCtl, ["-D", pgData, "stop", "-m", "immediate", "-w"], Path, CancellationToken.None);
            }
        }

        Directory.Delete(Path, recursive: true);
    }
}
