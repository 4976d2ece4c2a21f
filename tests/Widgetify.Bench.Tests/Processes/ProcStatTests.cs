using Widgetify.Bench.Processes;

namespace Widgetify.Bench.Tests.Processes;

public sealed class ProcStatTests
{
    // A postmaster's line (proc(5)): utime 120, stime 30, cutime 400, cstime 50; its name holds a space and a parenthesis.
    private const string Line = "4242 (postgres: (x) y) S 4200 4242 4242 0 -1 4194560 9000 80000 0 0 120 30 400 50 20 0 1 0 12345 200000000 4000 18446744073709551615";

    [Fact]
    public void Parse_WithReapedChildren_SumsAllFour()
    {
        var stat = ProcStat.Parse(Line, withReapedChildren: true).ShouldNotBeNull();

        stat.ParentPid.ShouldBe(4200);
        stat.Ticks.ShouldBe(600);
    }

    [Fact]
    public void Parse_OwnOnly_UserAndSystem()
    {
        ProcStat.Parse(Line, withReapedChildren: false)!.Value.Ticks.ShouldBe(150);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (x) S 1 2")]
    [InlineData("no parenthesis at all")]
    public void Parse_Unreadable_Null(string line)
    {
        ProcStat.Parse(line, withReapedChildren: true).ShouldBeNull();
    }

    [Fact]
    public void TreeSeconds_ThisProcess_Positive()
    {
        // /proc is real on the machines the bench runs on; this process has used some CPU to get here.
        ProcStat.TreeSeconds(Environment.ProcessId).ShouldBeGreaterThan(0);
        ProcStat.ParentOf(Environment.ProcessId).ShouldNotBeNull();
    }
}
