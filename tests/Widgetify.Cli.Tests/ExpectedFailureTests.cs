using Widgetify.Cli.Tests.Infrastructure;

namespace Widgetify.Cli.Tests;

/// <summary>Expected failures (bad input the verb recognises) end with one line on standard error and exit 1, never a
/// .NET stack trace and exit 134: Program.cs's top-level handler.</summary>
public sealed class ExpectedFailureTests
{
    [Theory]
    [InlineData("keys", "list")]
    [InlineData("postmortem", "latest")]
    public async Task Verb_DatabaseUrlNotAConnectionString_OneLineSayingWhatToPassExit1(string verb, string argument)
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync(verb, argument, "--database-url", "garbage://");

        exitCode.ShouldBe(1, stderr);
        stderr.ShouldStartWith("widgetify: '--database-url'");
        stderr.ShouldContain("postgres://user:password@host");
        stderr.ShouldNotContain("Unhandled exception");
        stderr.Trim().Split('\n').Length.ShouldBe(1, stderr);
    }

    /// <summary>The verbs that only work on an existing deployment, each given a --data-dir that does not exist.</summary>
    [Theory]
    [InlineData("keys", "list")]
    [InlineData("keys", "revoke", "0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b")]
    [InlineData("keys", "rotate", "0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b")]
    [InlineData("tenants", "show", "--tenant", "acme")]
    [InlineData("tenants", "set-limits", "--tenant", "acme", "--burst", "5")]
    [InlineData("postmortem", "latest")]
    [InlineData("review")]
    [InlineData("backup")]
    [InlineData("backup", "list")]
    [InlineData("restore", "--to", "latest")]
    [InlineData("cluster", "status")]
    [InlineData("cluster", "restart")]
    public async Task Verb_DataDirThatDoesNotExist_OneLineSayingWhatToRunAndCreatesNothing(params string[] verb)
    {
        using var parent = new TempDataDir();
        var typo = Path.Combine(parent.Path, "typo");

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync([.. verb, "--data-dir", typo]);

        exitCode.ShouldNotBe(0, stdout + stderr);
        stderr.ShouldContain($"'{typo}'");
        stderr.ShouldContain($"up --data-dir {typo}");
        stderr.Trim().Split('\n').Length.ShouldBe(1, stderr);
        Directory.Exists(typo).ShouldBeFalse("a verb that works on an existing deployment must not make one");
    }

    [Theory]
    [InlineData("keys", "list")]
    [InlineData("review")]
    [InlineData("postmortem", "latest")]
    public async Task Verb_DataDirWithoutACluster_SaysSoAndMakesNone(params string[] verb)
    {
        using var dataDir = new TempDataDir(); // exists, and empty: a folder that is not a Widgetify data directory

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync([.. verb, "--data-dir", dataDir.Path]);

        exitCode.ShouldBe(1, stdout + stderr);
        stderr.Trim().ShouldBe(
            $"widgetify: '{dataDir.Path}' holds no Widgetify database (no PostgreSQL cluster was made in it): " +
            $"start one with './widgetify up --data-dir {dataDir.Path}', or pass the --data-dir that 'up' runs with.");
        Directory.GetFileSystemEntries(dataDir.Path).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("--port must be a whole number; got 'abc'.", "up", "--port", "abc", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--instances must be a whole number from -2147483648 to 2147483647; got '99999999999'.", "review", "--instances", "99999999999", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--keep must be a whole number; got '1.5'.", "backup", "--keep", "1.5", "--data-dir", "/nonexistent/widgetify")]
    [InlineData("--format must be one of table, json; got 'xml'.", "tenants", "show", "--tenant", "acme", "--format", "xml", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--format must be one of table, json, markdown; got '7'.", "review", "--format", "7", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--role must be one of tenant, operator; got 'boss'.", "keys", "create", "--tenant", "acme", "--role", "boss", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--expires-at must be a time in ISO 8601, such as 2027-01-31T00:00:00Z", "keys", "create", "--tenant", "acme", "--expires-at", "soon", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--expires-at must be a time in ISO 8601, such as 2027-01-31T00:00:00Z", "keys", "create", "--tenant", "acme", "--expires-at", "01/02/2027", "--database-url", "Host=127.0.0.1;Port=1")]
    [InlineData("--instances must be from 1 to 32.", "cluster", "up", "--instances", "0", "--data-dir", "/nonexistent/widgetify")]
    [InlineData("The TLS port defaults to --port + 363 (65663), which is not a port: give --tls-port, or a lower --port.", "cluster", "up", "--port", "65300", "--data-dir", "/nonexistent/widgetify")]
    public async Task Verb_ValueOfTheWrongKind_OurWordsNoDotNetTypeExit1(string expected, params string[] args)
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(args);

        exitCode.ShouldBe(1, stdout + stderr);
        // Only the error, on stderr: KEY=$(./widgetify keys create ...) must not capture a page of help.
        stdout.ShouldBeEmpty(stderr);
        stderr.ShouldContain(expected, Case.Sensitive, stdout + stderr);
        stderr.ShouldNotContain("expected type", Case.Sensitive);
        stderr.ShouldNotContain("System.", Case.Sensitive);
        stderr.ShouldNotContain("Widgetify.Cli", Case.Sensitive);
    }
}

