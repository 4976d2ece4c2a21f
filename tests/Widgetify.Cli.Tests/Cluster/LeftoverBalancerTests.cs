using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Widgetify.Cli.Cluster;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>An HAProxy that outlived its 'cluster up' is stopped by the orphaned instances (only when their coordinator
/// recorded it) and by the next 'cluster up' on the data folder; a process that merely mentions the configuration's path
/// is never signalled. Real HAProxy processes, each with a configuration of its own in a temporary folder.</summary>
public sealed class LeftoverBalancerTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("widgetify-leftover-");
    private readonly List<Process> _started = [];

    private string Folder => ClusterState.Folder(_dataDir.FullName);

    private string Config => Path.Combine(Folder, HaproxyConfig.FileName);

    [Theory]
    [InlineData(new[] { "/usr/sbin/haproxy", "-db", "-f", "CONFIG" }, true)]
    [InlineData(new[] { "haproxy", "-f", "CONFIG", "-db" }, true)]
    [InlineData(new[] { "/bin/sh", "-c", "sleep 30; :", "haproxy", "-f", "CONFIG" }, false)] // mentions both, is not HAProxy
    [InlineData(new[] { "/usr/bin/sleep", "CONFIG" }, false)]
    [InlineData(new[] { "/usr/sbin/haproxy", "-db", "-f", "CONFIG.bak" }, false)]
    [InlineData(new[] { "/usr/sbin/haproxy", "-db", "CONFIG" }, false)]
    [InlineData(new[] { "" }, false)]
    public void IsBalancer_OnlyHaproxyWithExactlyThisConfiguration(string[] arguments, bool expected)
    {
        const string config = "/data/cluster/haproxy.cfg";

        ProcessCommandLine.IsBalancer([.. arguments.Select(a => a.Replace("CONFIG", config, StringComparison.Ordinal))], config).ShouldBe(expected);
    }

    [Fact]
    public async Task StopLeftoverBalancersAsync_HaproxyOfThisFolder_StoppedAndADecoyMentioningItsConfigurationLeftAlone()
    {
        var balancer = await StartBalancerAsync();
        var decoy = await StartDecoyAsync();

        await Fleet.StopLeftoverBalancersAsync(Folder, TimeProvider.System, NullLogger.Instance);

        balancer.WaitForExit(TimeSpan.FromSeconds(5)).ShouldBeTrue("the leftover HAProxy got its soft stop");
        decoy.HasExited.ShouldBeFalse("a process whose arguments only contain the configuration's path is not HAProxy");
    }

    [Fact]
    public async Task StopOrphanedAsync_BalancerRecordedByThisCoordinator_EndedBeforeTheDrain()
    {
        var balancer = await StartBalancerAsync();
        BalancerPidFile.Write(Folder, 4321, balancer.Id);
        var lifetime = new RecordingLifetime(() => balancer.HasExited);

        await Watch(4321, lifetime).StopOrphanedAsync();

        lifetime.Stopped.ShouldBeTrue();
        lifetime.ConditionWhenStopped.ShouldBe(true, "HAProxy was gone before the instance began to drain");
    }

    [Fact]
    public async Task StopOrphanedAsync_BalancerRecordedByAnotherCoordinator_LeftRunning()
    {
        var balancer = await StartBalancerAsync();
        BalancerPidFile.Write(Folder, 1234, balancer.Id);
        var lifetime = new RecordingLifetime(() => balancer.HasExited);

        await Watch(4321, lifetime).StopOrphanedAsync();

        lifetime.Stopped.ShouldBeTrue();
        balancer.HasExited.ShouldBeFalse("the HAProxy of a later 'cluster up' on this folder is not the orphans' to stop");
    }

    [Fact]
    public async Task StopOrphanedAsync_RecordedPidIsADecoyMentioningTheConfiguration_NotSignalled()
    {
        var decoy = await StartDecoyAsync();
        BalancerPidFile.Write(Folder, 4321, decoy.Id);
        var lifetime = new RecordingLifetime(() => true);

        await Watch(4321, lifetime).StopOrphanedAsync();

        lifetime.Stopped.ShouldBeTrue();
        decoy.HasExited.ShouldBeFalse();
    }

    [Fact]
    public async Task StopOrphanedAsync_PidFileUnreadable_StillDrains()
    {
        Directory.CreateDirectory(BalancerPidFile.PathIn(Folder)); // reading a folder throws
        var lifetime = new RecordingLifetime(() => true);

        await Watch(4321, lifetime).StopOrphanedAsync();

        lifetime.Stopped.ShouldBeTrue("an instance whose balancer could not be stopped must not run on as an orphan");
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        _dataDir.Delete(recursive: true);
    }

    private CoordinatorWatch Watch(int coordinatorPid, IHostApplicationLifetime lifetime) =>
        new(coordinatorPid, _dataDir.FullName, lifetime, TimeProvider.System, NullLogger.Instance);

    /// <summary>A real HAProxy on a free loopback port, run as 'cluster up' runs it: <c>-db -f CONFIG</c>.</summary>
    private Task<Process> StartBalancerAsync()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Config, string.Create(CultureInfo.InvariantCulture, $"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend web
                bind 127.0.0.1:{Infrastructure.CliProcess.FreePort()}
                default_backend instances
            backend instances
                server api-1 127.0.0.1:9

            """));
        return StartAsync(Fleet.HaproxyBinary(), "-db", "-q", "-f", Config);
    }

    /// <summary>A shell (not exec'ing its last command, so it stays a shell) whose arguments contain "haproxy", "-f" and
    /// the configuration's path.</summary>
    private Task<Process> StartDecoyAsync()
    {
        Directory.CreateDirectory(Folder);
        return StartAsync("/bin/sh", "-c", "sleep 30; :", "haproxy", "-f", Config);
    }

    private async Task<Process> StartAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _started.Add(process);
        // Until the command line is the program's (not yet the test host's fork), so the match is tested on what it runs.
        await Widgetify.Testing.BoundedWait.UntilAsync(
            () => Task.FromResult(ProcessCommandLine.Read(process.Id) is { Count: > 0 } running && running[0] == program),
            () => string.Join(' ', ProcessCommandLine.Read(process.Id) ?? ["(gone)"]),
            $"{program} ran", TimeSpan.FromSeconds(10));
        return process;
    }

    /// <summary>Records StopApplication and, at that moment, a condition (whether HAProxy had already ended).</summary>
    private sealed class RecordingLifetime(Func<bool> condition) : IHostApplicationLifetime
    {
        public bool Stopped { get; private set; }

        public bool? ConditionWhenStopped { get; private set; }

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
            ConditionWhenStopped = condition();
            Stopped = true;
        }
    }
}
