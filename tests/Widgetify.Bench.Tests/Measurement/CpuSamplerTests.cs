using System.Diagnostics;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Tests.Measurement;

public sealed class CpuSamplerTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void Usage_BracketingSamples_CoresPerGroup()
    {
        CpuSample[] samples =
        [
            Sample(0, generator: 1.0, service: 10.0),
            Sample(1, generator: 1.2, service: 10.9),
            Sample(3, generator: 1.6, service: 12.5),
            Sample(4, generator: 1.7, service: 13.0),
        ];

        // 1..3 s: generator 0.4 s over 2 s, service 1.6 s over 2 s.
        var usage = CpuSampler.Usage(samples, 1 * Second, 3 * Second);

        usage["generator"].ShouldBe(0.2, 1e-9);
        usage["service"].ShouldBe(0.8, 1e-9);
    }

    [Fact]
    public void Usage_WindowBetweenSamples_TakesTheOnesOutside()
    {
        CpuSample[] samples = [Sample(0, 0, 0), Sample(2, 1, 2), Sample(4, 2, 4)];

        var usage = CpuSampler.Usage(samples, 1 * Second, 3 * Second);

        usage["service"].ShouldBe(1.0, 1e-9); // 0 → 4 s
    }

    [Fact]
    public void Usage_ProcessRestartedCounterWentDown_Zero()
    {
        CpuSample[] samples = [Sample(0, 5, 5), Sample(1, 6, 0)];

        CpuSampler.Usage(samples, 0, 1 * Second)["service"].ShouldBe(0);
    }

    [Fact]
    public void Usage_FewerThanTwoSamples_Empty()
    {
        CpuSampler.Usage([Sample(0, 1, 1)], 0, Second).ShouldBeEmpty();
    }

    private static CpuSample Sample(double at, double generator, double service) =>
        new((long)(at * Second), new Dictionary<string, double> { ["generator"] = generator, ["service"] = service });
}
