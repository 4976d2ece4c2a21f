using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests;

/// <summary>A newcomer who clones into root's home (mode 0700) and runs a verb: the postgres account that runs the
/// server cannot enter it, so the cluster must go somewhere it can, and the verb say where.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClosedHomeTests
{
    [Fact]
    public async Task Verb_DataDirUnderAFolderClosedToPostgres_PutsTheClusterElsewhereAndSaysWhere()
    {
        // Arrange: a home-like folder only its owner (root, running the tests) may enter.
        using var dataDir = new TempDataDir();
        var home = Path.Combine(dataDir.Path, "home");
        Directory.CreateDirectory(home);
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var inside = Path.Combine(home, "widgetify", ".widgetify");
        string? relocated = null;
        try
        {
            // Act: twice, as a newcomer runs one verb and then another with the same --data-dir: one that makes the
            // deployment, then one that only works on an existing one (it must find the relocated cluster).
            var first = await CliProcess.RunAsync("keys", "create", "--tenant", "acme", "--data-dir", inside);
            relocated = File.ReadAllText(Path.Combine(inside, "cluster-location")).Trim();
            var second = await CliProcess.RunAsync("review", "--data-dir", inside);

            // Assert: both ran, on the one cluster outside the closed folder, and the first said where and why.
            first.ExitCode.ShouldBe(0, first.Stdout + first.Stderr);
            (first.Stdout + first.Stderr).ShouldContain($"cannot enter '{home}'");
            first.Stdout.ShouldContain("wgt_");
            relocated.ShouldStartWith("/var/lib/widgetify/");
            File.Exists(Path.Combine(relocated, "pg", "PG_VERSION")).ShouldBeTrue();
            Directory.Exists(Path.Combine(inside, "pg")).ShouldBeFalse();
            second.ExitCode.ShouldBe(0, second.Stdout + second.Stderr);
        }
        finally
        {
            if (relocated is not null && Directory.Exists(relocated))
            {
                Directory.Delete(relocated, recursive: true); // each verb stopped the server it started
            }
        }
    }
}
