using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Widgetify.Postgres;

namespace Widgetify.Testing;

/// <summary>A PostgreSQL cluster made once per test process and copied into each test's cluster folder before it starts.
/// initdb and the first start (roles, the app database) cost seconds of CPU on a 2-core machine and a test run makes
/// dozens of clusters; a copy of a stopped cluster costs a fraction of that. Each copy is then started by
/// <see cref="PostgresCluster.StartAsync"/> like any existing cluster: its own folder, port, settings, passwords and server
/// process, as real as one made by initdb. The tests of making a cluster (Widgetify.Postgres.Tests, 'up' on a fresh
/// folder) do not use it.</summary>
public static class ClusterTemplate
{
    private const string Prefix = "widgetify-template-";

    private static readonly MadeOnce<string> Template = new(CreateAsync);

    /// <summary>Copies the template's data into <paramref name="root"/> (made if missing), which must hold no cluster yet,
    /// with passwords of its own; start it with <see cref="PostgresCluster.StartAsync"/> on that folder.</summary>
    public static async Task CopyIntoAsync(string root)
    {
        var template = await Template.GetAsync();
        Directory.CreateDirectory(root);
        // cp -a: the modes and owner (the 'postgres' OS user under root) that the server checks on its data folder. Only
        // the data: logs, sockets, owner.pid and backups are made by the start, for the copy's own folder.
        await RunAsync("cp", "-a", Path.Combine(template, "pg"), Path.Combine(root, "pg"));
        // Not the template's pg-credentials.json: every copy would share its passwords, and a client or standby that
        // reached another test's server (a port freed and taken again by a parallel test) would log in there instead of
        // being refused. Each start sets the login roles' passwords to the file's (ALTER ROLE ... PASSWORD, in
        // ClusterDatabase.EnsureRolesAndDatabaseAsync), so the copy's roles take these at its first start.
        WriteFreshCredentials(Path.Combine(root, "pg-credentials.json"));
    }

    private static async Task<string> CreateAsync()
    {
        var temp = Path.GetTempPath();
        DeleteLeftovers(temp);
        // The pid in the name: a process killed before its ProcessExit handler ran leaves the folder, and the next
        // process that builds a template removes it (DeleteLeftovers).
        var root = Path.Combine(temp, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..12]}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteQuietly(root);
        try
        {
            // Stopped cleanly (a fast shutdown ends with a checkpoint), so each copy starts without crash recovery. Made as
            // a fresh cluster is (archiving on, its default): a template made without it left the copies' first segments
            // unmarked for archiving, and the backup tests' WAL retention found nothing to remove (CI, 8fe0442).
            await using (await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = root, Durable = false }))
            {
            }
        }
        catch
        {
            DeleteQuietly(root); // the next caller builds a new one
            throw;
        }

        return root;
    }

    /// <summary>The two passwords <c>pg-credentials.json</c> holds (the runtime role's and the replication role's), new:
    /// URL-safe base64 of 24 random bytes as the service makes them, in a file only its owner reads (0600).</summary>
    private static void WriteFreshCredentials(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) // always so: the embedded PostgreSQL runs on Linux and macOS only
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("appPassword", NewPassword());
        json.WriteString("replicationPassword", NewPassword());
        json.WriteEndObject();
    }

    private static string NewPassword() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    /// <summary>Deletes the templates of test processes that are gone: those killed before their ProcessExit handler ran.
    /// A template whose process still runs (another test project's, side by side) is in use and kept.</summary>
    private static void DeleteLeftovers(string temp)
    {
        foreach (var folder in Directory.EnumerateDirectories(temp, Prefix + "*"))
        {
            var name = Path.GetFileName(folder)[Prefix.Length..];
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
            {
                DeleteQuietly(folder);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var outcome = await ChildProcess.RunAsync(start, input: null, TimeSpan.FromMinutes(2));
        if (outcome.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({outcome.ExitCode}): {outcome.Stderr}");
        }
    }

    private static void DeleteQuietly(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; never fail a test run over it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
