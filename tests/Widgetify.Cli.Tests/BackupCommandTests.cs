using System.Text.Json;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify backup', 'backup list', 'restore' and 'drill restore' as an operator runs them.</summary>
public sealed class BackupCommandTests
{
    [Fact]
    public async Task Backup_ServerNotRunning_StartsItBacksUpListsAndStopsIt()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("backup", "--data-dir", dataDir.Path, "--keep", "1");
        var (listCode, json, _) = await CliProcess.RunAsync("backup", "list", "--data-dir", dataDir.Path, "--format", "json");

        exitCode.ShouldBe(0, stderr);
        stdout.ShouldContain("start LSN 0/");
        listCode.ShouldBe(0);
        using var list = JsonDocument.Parse(json);
        list.RootElement.GetArrayLength().ShouldBe(1);
        stdout.ShouldContain($"Backup {list.RootElement[0].GetProperty("id").GetString()}:");
        dataDir.RunningPostmasterPid().ShouldBeNull("the server started for the backup is stopped after it");
    }

    [Theory]
    [InlineData("2999-01-01T00:00:00Z", 2, "is in the future")]
    [InlineData("2000-01-01T00:00:00Z", 2, "is before the oldest backup")]
    [InlineData("soon", 1, "--to 'soon' is not a time")]
    public async Task Restore_BadTo_ExitsWithMessageAndNoStackTrace(string to, int expectedExitCode, string expectedMessage)
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        (await CliProcess.RunAsync("backup", "--data-dir", dataDir.Path)).ExitCode.ShouldBe(0);

        var (exitCode, _, stderr) = await CliProcess.RunAsync("restore", "--data-dir", dataDir.Path, "--to", to);

        exitCode.ShouldBe(expectedExitCode);
        stderr.ShouldContain(expectedMessage);
        stderr.ShouldNotContain("   at ");
        Directory.GetDirectories(dataDir.Path, "before-restore-*").ShouldBeEmpty();
    }

    [Fact]
    public async Task Up_ClusterOfUninstalledMajorVersion_SaysHowToUpgradeWithoutStackTrace()
    {
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb
        (await CliProcess.RunAsync("backup", "--data-dir", dataDir.Path)).ExitCode.ShouldBe(0);
        await File.WriteAllTextAsync(Path.Combine(dataDir.Path, "pg", "PG_VERSION"), "11\n");

        var (exitCode, _, stderr) = await CliProcess.RunAsync("keys", "create", "--tenant", "acme", "--data-dir", dataDir.Path);

        exitCode.ShouldBe(1);
        stderr.ShouldContain("created by PostgreSQL 11");
        stderr.ShouldContain("pg_upgrade");
        stderr.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task DrillRestore_WithDataDir_RefusesToReplaceTheUsersData()
    {
        using var dataDir = new TempDataDir();

        var (exitCode, _, stderr) = await CliProcess.RunAsync("drill", "restore", "--data-dir", dataDir.Path);

        exitCode.ShouldNotBe(0);
        stderr.ShouldContain("only runs on a fresh deployment");
    }

    [Fact]
    public async Task DrillRestore_FreshDeployment_LosesNothingAndRestoresNothingWrittenAfterT()
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("drill", "restore", "--writers", "4");

        exitCode.ShouldBe(0, $"{stdout}\n{stderr}");
        stdout.ShouldContain("lost: 0");
        stdout.ShouldContain("extra: 0");
        stdout.ShouldContain("target_reached: yes");
        stdout.ShouldNotContain("acknowledged_before_t: 0\n");
        stdout.ShouldNotContain("written_after_t: 0\n");
    }
}
