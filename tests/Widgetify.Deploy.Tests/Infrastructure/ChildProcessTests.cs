using System.Diagnostics;

namespace Widgetify.Deploy.Tests.Infrastructure;

/// <summary>The runner the deploy tests drive their scripts with.</summary>
public sealed class ChildProcessTests
{
    [Fact]
    public async Task RunAsync_ChildExitsWithoutReadingItsInput_ReturnsItsExitCodeNotABrokenPipe()
    {
        // A script that refuses its settings exits before it reads its action; a megabyte cannot fit the pipe's buffer,
        // so the write meets the closed pipe whatever the timing.
        var start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "echo refused >&2; exit 3" } };

        var outcome = await ChildProcess.RunAsync(start, new string('x', 1 << 20), TimeSpan.FromMinutes(1));

        outcome.ExitCode.ShouldBe(3);
        outcome.Stderr.ShouldContain("refused");
    }
}
