using System.Text.Json;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Postgres;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify review' as a deployment pipeline runs it: the real command in a child process, against a real
/// embedded PostgreSQL (max_connections 100, superuser_reserved_connections 3), judged by its exit code and output.</summary>
public sealed class ReviewCommandTests
{
    [Fact]
    public async Task Review_Feb15ConfigurationOnARunningServer_ExitsTwoNamingMaxPoolSizeWithASafeValue()
    {
        // Arrange: the server already runs (as under 'up'); the review shares it. Feb 15: 1000 per instance, 3 instances.
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path); // a made cluster: these tests are of the verb, not of initdb
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });

        // Act
        var (exitCode, stdout, stderr) = await ReviewAsync(dataDir, """{"Widgetify":{"Database":{"MaxPoolSize":1000}}}""", "json");

        // Assert: what fits is (97 accepted - the room for other clients - 3 x 2 own connections (control, listener) - 2 seats
        // for a newcomer's own) / 3.
        exitCode.ShouldBe(2, stderr);
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;
        root.GetProperty("instances").GetInt32().ShouldBe(3);
        var primary = root.GetProperty("servers")[0];
        primary.GetProperty("maxConnections").GetInt32().ShouldBe(100);
        var room = Math.Max(10, primary.GetProperty("otherClients").GetInt32());
        var critical = root.GetProperty("findings")[0];
        critical.GetProperty("severity").GetString().ShouldBe("critical");
        critical.GetProperty("setting").GetString().ShouldBe("Database:MaxPoolSize");
        critical.GetProperty("current").GetInt32().ShouldBe(1000);
        critical.GetProperty("recommended").GetInt32().ShouldBe((97 - room - (3 * 2) - 2) / 3);
        critical.GetProperty("reason").GetString()!.ShouldContain("max_connections 100");
        dataDir.RunningPostmasterPid().ShouldNotBeNull(); // the review shared the server, it did not stop it
    }

    [Fact]
    public async Task Review_ShippedDefaultsWithNoServerRunning_StartsTheEmbeddedServerAndExitsZero()
    {
        // Arrange: nothing runs in the data dir; the verb starts the embedded server for itself, as 'keys' does.
        using var dataDir = await TempDataDir.WithClusterAsync(); // the verb is under test, not initdb

        // Act
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("review", "--data-dir", dataDir.Path);

        // Assert: the default pool follows the budget, so nothing is critical; too little history to size it from.
        exitCode.ShouldBe(0, stdout + stderr);
        stdout.ShouldContain("pool follows the budget");
        stdout.ShouldNotContain("critical");
        stdout.ShouldContain("Not enough history: 0 minute(s)");
        dataDir.RunningPostmasterPid().ShouldBeNull(); // started for the verb, stopped after it
    }

    [Fact]
    public async Task Review_WellSizedConfigurationAsMarkdown_ExitsZero()
    {
        // Arrange: 20 per instance for 3 instances: 3 x (20 + 2) = 66 of the 97 accepted, within the budget's
        // (97 - 10 - 3 x 2 - 2) / 3 = 26 each.
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path); // a made cluster: these tests are of the verb, not of initdb
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });

        // Act
        var (exitCode, stdout, stderr) = await ReviewAsync(dataDir, """{"Widgetify":{"Database":{"MaxPoolSize":20}}}""", "markdown");

        // Assert
        exitCode.ShouldBe(0, stderr);
        stdout.ShouldStartWith("# Pool settings review");
        stdout.ShouldContain("| severity | server | setting | current | recommended | reason |");
        stdout.ShouldNotContain("| critical |");
    }

    [Fact]
    public async Task Review_DatabaseUnreachable_ExitsOneWithTheReason()
    {
        // Act: nothing listens on port 1.
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(
            "review", "--database-url", "Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none;Timeout=2");

        // Assert
        exitCode.ShouldBe(1);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain("the review could not run: Could not read primary at 127.0.0.1:1/none");
    }

    [Fact]
    public async Task Review_UnreadableConfiguration_ExitsOneNamingTheFileOrTheSetting()
    {
        // Arrange
        using var dataDir = new TempDataDir();
        var malformed = WriteConfig(dataDir, "malformed.json", """{"Widgetify": {"Database": """);
        var outOfRange = WriteConfig(dataDir, "range.json", """{"Widgetify":{"Database":{"MaxPoolSize":5000}}}""");
        var bare = WriteConfig(dataDir, "bare.json", """{"Database":{"MaxPoolSize":40}}""");
        var unreachable = "Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none;Timeout=2";

        // Act
        var missing = await CliProcess.RunAsync("review", "--database-url", unreachable, "--config", Path.Combine(dataDir.Path, "none.json"));
        var broken = await CliProcess.RunAsync("review", "--database-url", unreachable, "--config", malformed);
        var invalid = await CliProcess.RunAsync("review", "--database-url", unreachable, "--config", outOfRange);
        var unwrapped = await CliProcess.RunAsync("review", "--database-url", unreachable, "--config", bare);

        // Assert: the settings are judged before any server is asked.
        missing.ExitCode.ShouldBe(1);
        missing.Stderr.ShouldContain("none.json is unreadable: no such file");
        broken.ExitCode.ShouldBe(1);
        broken.Stderr.ShouldContain("malformed.json is unreadable");
        invalid.ExitCode.ShouldBe(1);
        invalid.Stderr.ShouldContain("MaxPoolSize");
        unwrapped.ExitCode.ShouldBe(1, "a file without the Widgetify section would be reviewed as if it said nothing");
        unwrapped.Stderr.ShouldContain("bare.json has no 'Widgetify' section, so it would change nothing under review");
    }

    /// <summary>Reviews <paramref name="configJson"/> for 3 instances against the data dir's server.</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> ReviewAsync(TempDataDir dataDir, string configJson, string format) =>
        CliProcess.RunAsync(
            "review", "--data-dir", dataDir.Path, "--config", WriteConfig(dataDir, "review.json", configJson), "--instances", "3", "--format", format);

    private static string WriteConfig(TempDataDir dataDir, string name, string json)
    {
        var path = Path.Combine(dataDir.Path, name);
        File.WriteAllText(path, json);
        return path;
    }
}
