using System.Text.Json;
using Npgsql;
using Widgetify.Api.Administration;
using Widgetify.Api.Auth;
using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests;

/// <summary>'widgetify keys create|list|revoke|rotate' as an operator runs them: the real command in a child process,
/// against a real embedded PostgreSQL that is already running (as under 'up'), checked against the table itself. The
/// tests share one running cluster (<see cref="KeysCluster"/>), each with tenants of its own, except the table's test,
/// whose exact layout depends on every key in the database. The keys a test only needs to exist beforehand are made
/// through the library the verb calls (<see cref="WidgetifyAdministration"/>), not by another child process: each process
/// start costs a runtime start, the cluster attach and the migrations check (a second or more of wall on a busy machine),
/// and 'keys create' itself is run as a process by the tests of it.</summary>
public sealed class KeysCommandTests(KeysCluster shared) : IClassFixture<KeysCluster>
{
    [Fact]
    public async Task Create_WithExpiresIn_PrintsOnlyTheKeyAndListShowsItsExpiryButNeverTheKey()
    {
        // Arrange
        var tenant = NewTenant();

        // Act
        var key = await CreateAsync(tenant, "--expires-in", "30d");
        var (exitCode, stdout, stderr) = await KeysAsync("list", "--tenant", tenant, "--format", "json");

        // Assert
        exitCode.ShouldBe(0, stderr);
        stdout.ShouldNotContain(key);
        stdout.ShouldNotContain(key[4..], Case.Sensitive);
        using var listed = JsonDocument.Parse(stdout);
        var entry = listed.RootElement.EnumerateArray().ShouldHaveSingleItem();
        entry.GetProperty("tenant").GetString().ShouldBe(tenant);
        entry.GetProperty("role").GetString().ShouldBe("tenant");
        entry.GetProperty("state").GetString().ShouldBe("active");
        entry.GetProperty("lastUsedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        entry.GetProperty("expiresAt").GetDateTimeOffset().ShouldBeInRange(DateTimeOffset.UtcNow.AddDays(29.9), DateTimeOffset.UtcNow.AddDays(30.1));
        entry.TryGetProperty("keyHash", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Create_InAFolderWithNoDeployment_SaysItMadeOneThere()
    {
        // Arrange: a folder 'up' never ran in (a first key, or a typo of the real one)
        using var empty = new TempDataDir();

        // Act
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("keys", "create", "--tenant", "acme", "--data-dir", empty.Path);

        // Assert: the key, and a word that a new deployment was made where nothing runs yet
        exitCode.ShouldBe(0, stderr);
        stdout.Trim().ShouldStartWith("wgt_");
        stderr.ShouldContain($"'{empty.Path}' held no Widgetify database, so a new one was made there");
        stderr.ShouldContain($"./widgetify up --data-dir {empty.Path}");
    }

    [Fact]
    public async Task List_Table_ShowsEveryTenantsKeysWithTheirColumns()
    {
        // Arrange: a cluster of its own, so that these two are every key there is (the columns' widths follow them)
        await using var own = new KeysCluster();
        await own.InitializeAsync();
        await own.MadeKeyAsync("acme");
        await own.MadeKeyAsync("globex", ApiKeyRole.Operator);

        // Act
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("keys", "list", "--data-dir", own.DataDir);

        // Assert
        exitCode.ShouldBe(0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("id                                    tenant  role      prefix      created               last used  expires  state");
        lines.Length.ShouldBe(3);
        lines[1].ShouldContain("acme");
        lines[2].ShouldContain("operator");
        lines[1].ShouldEndWith("never      never    active");
    }

    [Fact]
    public async Task Revoke_ExistingKey_MarksItRevokedAndTheKeyNoLongerAuthenticates()
    {
        // Arrange
        var tenant = NewTenant();
        var (id, key, _) = await shared.MadeKeyAsync(tenant);

        // Act
        var (exitCode, _, stderr) = await KeysAsync("revoke", id.ToString());

        // Assert
        exitCode.ShouldBe(0, stderr);
        stderr.ShouldContain($"Revoked key {id}");
        (await ScalarAsync<bool>($"SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = '{id}'")).ShouldBeTrue();
        var (_, listed, _) = await KeysAsync("list", "--tenant", tenant, "--format", "json");
        listed.ShouldContain("\"state\": \"revoked\"");
        key.ShouldStartWith("wgt_");

        // Again: it said "Revoked" a second time, as if it had done something
        var (againExit, _, againErr) = await KeysAsync("revoke", id.ToString());
        againExit.ShouldBe(0, againErr);
        againErr.ShouldContain($"Key {id} was already revoked, at ");
        againErr.ShouldContain("nothing changed");
    }

    [Fact]
    public async Task Revoke_UnknownOrMalformedId_ExitsNonZeroSayingWhereIdsAre()
    {
        var (unknownExit, _, unknownErr) = await KeysAsync("revoke", Guid.NewGuid().ToString());
        var (malformedExit, _, malformedErr) = await KeysAsync("revoke", "not-an-id");

        unknownExit.ShouldBe(1);
        unknownErr.ShouldContain("keys list");
        malformedExit.ShouldNotBe(0);
        malformedErr.ShouldContain("not a key id");
    }

    [Fact]
    public async Task Rotate_WithOverlap_PrintsANewKeyAndTheOldOneExpiresAfterTheOverlap()
    {
        // Arrange
        var (oldId, oldKey, _) = await shared.MadeKeyAsync(NewTenant(), ApiKeyRole.Operator);

        // Act
        var (exitCode, stdout, stderr) = await KeysAsync("rotate", oldId.ToString(), "--overlap", "2h");

        // Assert
        exitCode.ShouldBe(0, stderr);
        var newKey = stdout.Trim();
        newKey.ShouldStartWith("wgt_");
        newKey.ShouldNotBe(oldKey);
        stderr.ShouldContain("keeps working until");
        (await ScalarAsync<bool>(
            $"SELECT expires_at BETWEEN now() + interval '119 minutes' AND now() + interval '121 minutes' FROM api_keys WHERE id = '{oldId}'"))
            .ShouldBeTrue("the old key works for the overlap, then stops");
        (await ScalarAsync<string>(
            $"SELECT n.role FROM api_keys o JOIN api_keys n ON n.id = o.replaced_by WHERE o.id = '{oldId}' AND n.expires_at IS NULL AND n.revoked_at IS NULL"))
            .ShouldBe("operator", "the new key has the old one's tenant and role");
    }

    [Fact]
    public async Task Rotate_ZeroOverlapThenRotateAgain_OldKeyIsExpiredAndCannotBeRotated()
    {
        // Arrange
        var oldId = (await shared.MadeKeyAsync(NewTenant())).Id;

        // Act
        var (exitCode, _, stderr) = await KeysAsync("rotate", oldId.ToString(), "--overlap", "0s");
        var (againExit, _, againErr) = await KeysAsync("rotate", oldId.ToString());

        // Assert
        exitCode.ShouldBe(0, stderr);
        (await ScalarAsync<bool>($"SELECT expires_at <= now() FROM api_keys WHERE id = '{oldId}'")).ShouldBeTrue();
        againExit.ShouldBe(1);
        againErr.ShouldContain("expired");
        againErr.ShouldContain("keys create");
    }

    [Theory]
    [InlineData("--expires-in", "30x", "not a duration")]
    [InlineData("--expires-in", "0d", "not a duration")]
    [InlineData("--expires-at", "2001-01-01T00:00:00Z", "in the past")]
    public async Task Create_BadExpiry_ExitsNonZeroNamingTheOption(string option, string value, string says)
    {
        var (exitCode, stdout, stderr) = await KeysAsync("create", "--tenant", "acme", option, value);

        exitCode.ShouldNotBe(0);
        stdout.ShouldNotContain("wgt_"); // no key was made (the usage text goes to standard output)
        stderr.ShouldContain(option);
        stderr.ShouldContain(says);
    }

    [Fact]
    public async Task Create_BothExpiryOptions_ExitsNonZero()
    {
        var (exitCode, _, stderr) = await KeysAsync("create", "--tenant", "acme", "--expires-in", "1d", "--expires-at", "2099-01-01T00:00:00Z");

        exitCode.ShouldNotBe(0);
        stderr.ShouldContain("not both");
    }

    private async Task<string> CreateAsync(string tenant, params string[] more)
    {
        var (exitCode, stdout, stderr) = await KeysAsync(["create", "--tenant", tenant, .. more]);
        exitCode.ShouldBe(0, stderr);
        return stdout.Trim();
    }

    /// <summary>A tenant no other test of the shared cluster uses.</summary>
    private static string NewTenant() => "acme-" + Guid.NewGuid().ToString("N")[..8];

    private Task<(int ExitCode, string Stdout, string Stderr)> KeysAsync(params string[] args) =>
        CliProcess.RunAsync(["keys", .. args, "--data-dir", shared.DataDir]);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(shared.AppConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
