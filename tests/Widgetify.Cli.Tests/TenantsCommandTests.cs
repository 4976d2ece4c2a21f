using System.Text.Json;
using Widgetify.Cli.Tests.Infrastructure;
using Widgetify.Postgres;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify tenants set-limits' and 'tenants show' as an operator runs them: the real command in a child process,
/// against a real embedded PostgreSQL.</summary>
public sealed class TenantsCommandTests
{
    [Fact]
    public async Task SetLimitsThenShow_OverridesWhatWasGivenAndKeepsTheOtherDefaults()
    {
        // Arrange: a running server with a tenant (created with its first key).
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path); // a made cluster: these tests are of the verb, not of initdb
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });
        var created = await CliProcess.RunAsync("keys", "create", "--tenant", "acme", "--data-dir", dataDir.Path);
        created.ExitCode.ShouldBe(0, created.Stderr);

        // Act
        var set = await CliProcess.RunAsync("tenants", "set-limits", "--tenant", "acme", "--writes-per-second", "5", "--max-widgets", "42", "--data-dir", dataDir.Path);
        var shown = await CliProcess.RunAsync("tenants", "show", "--tenant", "acme", "--format", "json", "--data-dir", dataDir.Path);

        // Assert
        set.ExitCode.ShouldBe(0, set.Stderr);
        set.Stdout.ShouldContain("writes per second  5 per API key");
        set.Stdout.ShouldContain("burst              200 (default) per API key");
        set.Stdout.ShouldContain("widgets            0 of 42 (0%)");
        shown.ExitCode.ShouldBe(0, shown.Stderr);
        using var document = JsonDocument.Parse(shown.Stdout);
        var root = document.RootElement;
        root.GetProperty("tenant").GetString().ShouldBe("acme");
        root.GetProperty("writesPerSecond").GetProperty("value").GetInt64().ShouldBe(5);
        root.GetProperty("writesPerSecond").GetProperty("isDefault").GetBoolean().ShouldBeFalse();
        root.GetProperty("maxStoredBytes").GetProperty("value").GetInt64().ShouldBe(1L << 30);
        root.GetProperty("maxStoredBytes").GetProperty("isDefault").GetBoolean().ShouldBeTrue();
        root.GetProperty("widgets").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task Show_UnknownTenant_ExitsOneSayingHowToCreateIt()
    {
        using var dataDir = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(dataDir.Path); // a made cluster: these tests are of the verb, not of initdb
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = dataDir.Path, Durable = false });

        var (exitCode, _, stderr) = await CliProcess.RunAsync("tenants", "show", "--tenant", "nobody", "--data-dir", dataDir.Path);

        exitCode.ShouldBe(1);
        stderr.ShouldContain("there is no tenant 'nobody'");
        stderr.ShouldContain("keys create --tenant nobody");
    }

    [Fact]
    public async Task SetLimits_NothingToSetOrNegative_ExitsWithAMessageNamingTheOption()
    {
        var nothing = await CliProcess.RunAsync("tenants", "set-limits", "--tenant", "acme", "--database-url", "Host=127.0.0.1;Port=1");
        var negative = await CliProcess.RunAsync("tenants", "set-limits", "--tenant", "acme", "--burst", "0", "--database-url", "Host=127.0.0.1;Port=1");

        nothing.ExitCode.ShouldNotBe(0);
        nothing.Stderr.ShouldContain("give at least one of --writes-per-second");
        negative.ExitCode.ShouldNotBe(0);
        negative.Stderr.ShouldContain("--burst must be at least 1");
    }
}
