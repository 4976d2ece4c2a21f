using System.Diagnostics;

namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A tmpfs of a few hundred KiB, mounted on a fresh folder that the PostgreSQL server may write (it runs as
/// the <c>postgres</c> OS user under root), which the test can fill to the last byte and free again: a real full disk,
/// bounded, with nothing else on it. Unmounted and removed on dispose. Needs root (<see cref="RootFactAttribute"/>).</summary>
public sealed class TinyFilesystem : IAsyncDisposable
{
    private static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(30);

    private TinyFilesystem(string path) => Path = path;

    /// <summary>The mount point, an empty folder owned by <c>postgres</c>, as a tablespace needs.</summary>
    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    public static async Task<TinyFilesystem> MountAsync(int kibibytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "widgetify-tiny-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        await RunAsync("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", path);
        var tiny = new TinyFilesystem(path);
        try
        {
            await RunAsync("chown", "postgres:postgres", path);
            return tiny;
        }
        catch
        {
            await tiny.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes a file until the filesystem refuses another byte.</summary>
    /// <returns>The bytes written.</returns>
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

    /// <summary>Removes what <see cref="Fill"/> wrote.</summary>
    public void Free() => File.Delete(Filler);

    public async ValueTask DisposeAsync()
    {
        await RunAsync("umount", "--lazy", Path);
        Directory.Delete(Path);
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var outcome = await ChildProcess.RunAsync(start, input: null, CommandBound);
        outcome.ExitCode.ShouldBe(0, $"{command} {string.Join(' ', arguments)}: {outcome.Stderr}");
    }
}
