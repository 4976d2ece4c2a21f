using System.Globalization;
using Widgetify.Postgres;

namespace Widgetify.Cli.Drills.Faults;

/// <summary><c>disk-full</c>: the widgets table moved onto a tmpfs just larger than the table, which the drill then
/// fills to the last byte, for <see cref="DrillFault.HeldFor"/>: a real full disk under every new row (PostgreSQL's
/// 53100), without filling the machine's. Writes must be 503 naming the condition while reads work, and succeed again
/// once space is freed; afterwards the table goes back to its tablespace. Needs root (mount), and a deployment without
/// standbys: a tablespace is a path, and standbys on this machine would replay it onto the same folder.</summary>
internal sealed class DiskFull : DrillFault
{
    private const string Tablespace = "widgetify_drill_disk";

    // Room for the table's next pages to be refused by the filler, not by the size of the table itself.
    private const long SlackBytes = 256 * 1024;

    // The tmpfs once the disk is "freed": far more than the rest of a drill can write (tmpfs takes memory only for what
    // is written).
    private const long GrownBytes = 256L * 1024 * 1024;

    public override string Name => "disk-full";

    public override string Description => "the widgets table's disk full for 10 s";

    public override TimeSpan Duration => HeldFor;

    public override async Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        if (!UnixAccount.IsRoot)
        {
            throw new InvalidOperationException("disk-full mounts a small tmpfs for the table and needs root: run the drill as root.");
        }

        if (deployment.StandbyPgDatas.Count > 0)
        {
            throw new InvalidOperationException(
                "disk-full moves the widgets table to a tablespace, and the standbys on this machine would replay it onto the same folder: run it against a deployment without standbys (or without --data-dir for a fresh one).");
        }

        await MoveBackAsync(deployment, cancellationToken); // what an interrupted drill may have left
        var tableBytes = await deployment.QueryAsAdministratorAsync<long>("SELECT pg_table_size('widgets')", cancellationToken);
        var mount = Path.Combine(Path.GetTempPath(), $"widgetify-drill-disk-{Guid.NewGuid():N}"[..30]);
        Directory.CreateDirectory(mount);
        var kibibytes = (tableBytes + SlackBytes + 1023) / 1024;
        await RunAsync("mount", ["-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", mount], cancellationToken);
        var full = new Full(deployment, mount);
        try
        {
            await RunAsync("chown", [$"{ProcessRunner.PostgresUser}:{ProcessRunner.PostgresUser}", mount], cancellationToken);
            await deployment.ExecuteAsAdministratorAsync($"CREATE TABLESPACE {Tablespace} LOCATION '{mount}'", cancellationToken);
            await deployment.ExecuteAsAdministratorAsync($"ALTER TABLE widgets SET TABLESPACE {Tablespace}", cancellationToken);
            var filled = full.Fill();
            await Console.Error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture, $"widgetify drill: widgets table ({tableBytes / 1024} KiB) on a {kibibytes} KiB tmpfs at {mount}, filled with {filled / 1024} KiB"));
            return full;
        }
        catch
        {
            await full.DisposeAsync();
            throw;
        }
    }

    /// <summary>Puts the table back on its default tablespace and removes the drill's, with its mount.</summary>
    private static async Task MoveBackAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        var location = await deployment.QueryAsAdministratorAsync<string?>(
            $"SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = '{Tablespace}'", cancellationToken);
        if (location is null)
        {
            return;
        }

        await deployment.ExecuteAsAdministratorAsync("ALTER TABLE widgets SET TABLESPACE pg_default", cancellationToken);
        await deployment.ExecuteAsAdministratorAsync($"DROP TABLESPACE {Tablespace}", cancellationToken);
        await UnmountAsync(location, cancellationToken);
    }

    private static async Task UnmountAsync(string mount, CancellationToken cancellationToken)
    {
        await ProcessRunner.RunAsync("umount", ["--lazy", mount], workingDirectory: null, cancellationToken);
        if (Directory.Exists(mount) && !Directory.EnumerateFileSystemEntries(mount).Any())
        {
            Directory.Delete(mount);
        }
    }

    private static async Task RunAsync(string command, string[] arguments, CancellationToken cancellationToken) =>
        ProcessRunner.EnsureSuccess(await ProcessRunner.RunAsync(command, arguments, workingDirectory: null, cancellationToken));

    private sealed class Full(DrillDeployment deployment, string mount) : ActiveFault
    {
        private string Filler => Path.Combine(mount, "filler");

        /// <summary>Writes a file until the filesystem refuses another byte; returns the bytes written.</summary>
        public long Fill()
        {
            long written = 0;
            using var file = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
            foreach (var chunk in (int[])[64 * 1024, 4096, 1])
            {
                var bytes = new byte[chunk];
                try
                {
                    while (true)
                    {
                        file.Write(bytes);
                        file.Flush();
                        written += chunk;
                    }
                }
                catch (IOException)
                {
                    // No space left for a chunk this size: on to the next smaller one.
                }
            }

            return written;
        }

        /// <summary>Frees the filler and grows the filesystem, as an operator adding space would: freeing the filler
        /// alone leaves only the slack, which a fast writer fills again within a second or two, and the drill would
        /// measure a second full disk rather than the recovery from the first.</summary>
        public override async Task EndAsync()
        {
            File.Delete(Filler);
            await RunAsync("mount", ["-o", $"remount,size={GrownBytes / 1024}k", mount], CancellationToken.None);
        }

        protected override async ValueTask PutBackAsync()
        {
            if (File.Exists(Filler))
            {
                File.Delete(Filler);
            }

            await MoveBackAsync(deployment, CancellationToken.None);
            await UnmountAsync(mount, CancellationToken.None);
        }
    }
}
