using System.Diagnostics;
using Widgetify.Postgres;

namespace Widgetify.Testing;

/// <summary>A PostgreSQL cluster made once per test process and copied into each test's cluster folder before it starts.
/// initdb and the first start (roles, the app database) cost seconds of CPU on a 2-core machine and a test run makes
/// dozens of clusters; a copy of a stopped cluster costs a fraction of that. Each copy is then started by
/// <see cref="PostgresCluster.StartAsync"/> like any existing cluster: its own folder, port, settings and server
/// process, as real as one made by initdb. The tests of making a cluster (Widgetify.Postgres.Tests, 'up' on a fresh
/// folder) do not use it.</summary>
public static class ClusterTemplate
{
    // What a cluster's root holds that a later start needs: the data and the passwords the roles were given. Logs,
    // sockets, owner.pid and backups are made by the start, for the copy's own folder.
    private static readonly string[] Copied = ["pg", "pg-credentials.json"];

    private static readonly Lazy<Task<string>> Template = new(CreateAsync);

    /// <summary>Copies the template's data and credentials into <paramref name="root"/> (made if missing), which must hold
    /// no cluster yet; start it with <see cref="PostgresCluster.StartAsync"/> on that folder.</summary>
    public static async Task CopyIntoAsync(string root)
    {
        var template = await Template.Value;
        Directory.CreateDirectory(root);
        foreach (var entry in Copied)
        {
            // cp -a: the modes and owner (the 'postgres' OS user under root) that the server checks on its data folder.
            await RunAsync("cp", "-a", Path.Combine(template, entry), Path.Combine(root, entry));
        }
    }

    private static async Task<string> CreateAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "widgetify-template-" + Guid.NewGuid().ToString("N")[..12]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteQuietly(root);
        // Stopped cleanly (a fast shutdown ends with a checkpoint), so each copy starts without crash recovery.
        await using (await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = root, Durable = false }))
        {
        }

        return root;
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
