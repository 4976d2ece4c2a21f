using System.Diagnostics;
using Widgetify.Cli.Cluster;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests.Cluster;

/// <summary>The generated haproxy.cfg, checked by the installed HAProxy itself (<c>haproxy -c</c>) where it matters.</summary>
public sealed class HaproxyConfigTests
{
    private static readonly InstanceRecord[] Instances = [new("api-1", 40001, 1, 0), new("api-2", 40002, 2, 0)];

    [Fact]
    public async Task Render_DataDirWithSpaceAndQuote_HaproxyAcceptsTheConfiguration()
    {
        using var dataDir = new TempDataDir();
        var folder = Path.Combine(dataDir.Path, "my data's dir", "cluster");
        Directory.CreateDirectory(folder);
        var certificate = SelfSignedCertificate.Ensure(folder, null, null, TimeProvider.System);
        var config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, HaproxyConfig.Render(18080, 18443, certificate, HaproxyConfig.SocketPath(folder), Instances, new ClusterOptions()));

        using var check = Process.Start(new ProcessStartInfo(Fleet.HaproxyBinary(), ["-c", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var said = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();

        check.ExitCode.ShouldBe(0, said);
    }

    [Fact]
    public async Task Render_DataDirTooDeepForASocketBesideIt_HaproxyAcceptsTheConfiguration()
    {
        // A data folder deep enough that <folder>/haproxy.sock is past HAProxy's 97 characters (CI's scratch folder made
        // a shallower one fail: "socket path too long")
        using var dataDir = new TempDataDir();
        var folder = Path.Combine(dataDir.Path, new string('d', 60), new string('e', 40), "cluster");
        Directory.CreateDirectory(folder);
        var certificate = SelfSignedCertificate.Ensure(folder, null, null, TimeProvider.System);
        var config = Path.Combine(folder, "haproxy.cfg");
        var socket = HaproxyConfig.SocketPath(folder);
        await File.WriteAllTextAsync(config, HaproxyConfig.Render(18080, 18443, certificate, socket, Instances, new ClusterOptions()));

        using var check = Process.Start(new ProcessStartInfo(Fleet.HaproxyBinary(), ["-c", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var said = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();

        check.ExitCode.ShouldBe(0, said);
        socket.Length.ShouldBeLessThanOrEqualTo(HaproxyConfig.MaxSocketPath);
        socket.ShouldNotBe(HaproxyConfig.SocketPath(folder + "-other"), "two fleets never share a socket");
        HaproxyConfig.SocketPath("/srv/w/cluster").ShouldBe("/srv/w/cluster/haproxy.sock", "a short folder keeps it beside the configuration");
    }

    [Fact]
    public void Render_RetriesOnlyGetsAfterSending_NeverOnTimeoutOr503()
    {
        var text = HaproxyConfig.Render(18080, 18443, "/c.pem", "/s.sock", Instances, new ClusterOptions());

        text.ShouldContain("http-request disable-l7-retry unless METH_GET");
        var retryOn = text.Split('\n').Single(l => l.TrimStart().StartsWith("retry-on ", StringComparison.Ordinal));
        retryOn.ShouldNotContain("response-timeout");
        retryOn.ShouldNotContain("503");
        retryOn.ShouldContain("conn-failure");
    }

    [Fact]
    public void Render_CheckTimeoutCoversTheReadinessBudget_AndHstsOnHaproxysOwnReplies()
    {
        var text = HaproxyConfig.Render(18080, 18443, "/c.pem", "/s.sock", Instances, new ClusterOptions());

        text.ShouldContain("timeout check 3s");
        text.ShouldContain($"fall {HaproxyConfig.Fall} ");
        text.ShouldContain("http-after-response set-header Strict-Transport-Security");
        text.ShouldNotContain("http-response set-header Strict-Transport-Security");
    }

    [Fact]
    public void Render_SlowStart_RampsEveryReturningServer_AndNoneWhenZero()
    {
        var ramped = HaproxyConfig.Render(18080, 18443, "/c.pem", "/s.sock", Instances, new ClusterOptions { SlowStart = TimeSpan.FromSeconds(8) });
        var off = HaproxyConfig.Render(18080, 18443, "/c.pem", "/s.sock", Instances, new ClusterOptions { SlowStart = TimeSpan.Zero });

        DefaultServer(ramped).ShouldEndWith(" slowstart 8000ms");
        DefaultServer(off).ShouldNotContain("slowstart");

        static string DefaultServer(string config) => config.Split('\n').Single(l => l.TrimStart().StartsWith("default-server ", StringComparison.Ordinal));
    }
}
