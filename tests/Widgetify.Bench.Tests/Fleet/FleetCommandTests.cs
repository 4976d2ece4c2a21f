using Widgetify.Bench.Fleet;

namespace Widgetify.Bench.Tests.Fleet;

public sealed class FleetCommandTests
{
    [Theory]
    [InlineData(new[] { "--rate", "200" }, true)]
    [InlineData(new[] { "--no-pin" }, false)]
    public async Task Create_PinsUnlessNoPin_ThoughTheSettingsDefaultIsOff(string[] arguments, bool pinned)
    {
        FleetSettings? settings = null;
        var command = FleetCommand.Create((s, _) =>
        {
            settings = s;
            return Task.FromResult(0);
        });

        (await command.Parse(arguments).InvokeAsync()).ShouldBe(0);

        settings.ShouldNotBeNull().Pin.ShouldBe(pinned);
        new FleetSettings { ServiceDll = "x", OutputDirectory = "y", CommandLine = "z", InstanceCounts = [1] }.Pin.ShouldBeFalse();
    }

    [Theory]
    [InlineData("1,2,4", new[] { 1, 2, 4 })]
    [InlineData(" 4, 1 ", new[] { 4, 1 })]
    public void TryParseCounts_DistinctCountsFromOneToEight_InTheOrderGiven(string text, int[] expected)
    {
        FleetCommand.TryParseCounts(text, out var counts).ShouldBeTrue();
        counts.ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0,1")]
    [InlineData("9")]
    [InlineData("1,1")]
    [InlineData("two")]
    public void TryParseCounts_OutOfRangeRepeatedOrNotANumber_Refused(string text) =>
        FleetCommand.TryParseCounts(text, out _).ShouldBeFalse();
}
