using Widgetify.Bench.Storm;

namespace Widgetify.Bench.Tests.Storm;

public sealed class StormCommandTests
{
    [Theory]
    [InlineData("1,2,5", new[] { 1, 2, 5 })]
    [InlineData("5, 1 ,1", new[] { 1, 5 })]
    [InlineData("3", new[] { 3 })]
    public void TryParseConfigs_Valid_DistinctAscending(string text, int[] expected)
    {
        StormCommand.TryParseConfigs(text, out var numbers).ShouldBeTrue();
        numbers.ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("8")]
    [InlineData("1,x")]
    [InlineData("-1")]
    public void TryParseConfigs_Invalid_False(string text)
    {
        StormCommand.TryParseConfigs(text, out _).ShouldBeFalse();
    }

    [Fact]
    public void All_SevenConfigurations_AsTheBriefsNameThem()
    {
        BenchConfiguration.All.Select(c => c.Number).ShouldBe([1, 2, 3, 4, 5, 6, 7]);
        BenchConfiguration.All[0].Environment["Widgetify__Database__MaxPoolSize"].ShouldBe("1000");
        BenchConfiguration.All[2].Environment["Widgetify__Admission__Mode"].ShouldBe("Static");
        BenchConfiguration.All[3].UsesPgBouncer.ShouldBeTrue();
        BenchConfiguration.All[4].Environment.ShouldBeEmpty();
        BenchConfiguration.All[4].ApplicationName.ShouldBe("widgetify-bench-5");
        // The unguarded one differs from 5 only in the guard (issue 15's overhead comparison).
        BenchConfiguration.All[5].Environment.ShouldBe(new Dictionary<string, string> { ["Widgetify__Admission__Mode"] = "Off" });
        BenchConfiguration.All[5].UsesPgBouncer.ShouldBeFalse();
        // And the seventh only in the CPU shed (off by default).
        BenchConfiguration.All[6].Environment.ShouldBe(new Dictionary<string, string> { ["Widgetify__Admission__CpuShed"] = "true" });
    }
}
