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
}
