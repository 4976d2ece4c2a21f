using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Widgetify.PoolReview.Rules;
using static Widgetify.PoolReview.Tests.Rules.ReviewInputs;

namespace Widgetify.PoolReview.Tests.Rules;

public sealed class PoolReviewMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Findings_BeforeTheFirstReview_ReportsNothing()
    {
        // Arrange
        _ = new PoolReviewMetrics(MeterFactory);
        using var findings = Collect<int>("widgetify.pool_review.findings");

        // Act
        findings.RecordObservableInstruments();

        // Assert
        findings.GetMeasurementSnapshot().ShouldBeEmpty();
    }

    [Fact]
    public void Findings_AfterAReview_CountsBySeverity()
    {
        // Arrange: Feb 15 on two instances with no idle-in-transaction timeout: 1 critical, 1 warning, 1 info (no history).
        var metrics = new PoolReviewMetrics(MeterFactory);
        var report = SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(idleInTransactionMs: 0), instances: 2));
        using var findings = Collect<int>("widgetify.pool_review.findings");
        using var runs = Collect<long>("widgetify.pool_review.runs");

        // Act
        metrics.Succeeded(report);
        findings.RecordObservableInstruments();

        // Assert
        BySeverity(findings).ShouldBe(new Dictionary<string, int> { ["critical"] = 1, ["warning"] = 1, ["info"] = 1 }, ignoreOrder: true);
        var run = runs.GetMeasurementSnapshot().ShouldHaveSingleItem();
        (run.Value, run.Tags["result"]).ShouldBe((1L, "succeeded"));
    }

    [Fact]
    public void Findings_ASafeReview_CriticalReportedAsZero()
    {
        // Arrange
        var metrics = new PoolReviewMetrics(MeterFactory);
        using var findings = Collect<int>("widgetify.pool_review.findings");

        // Act: the PoolSettingsCritical alert needs a 0 to resolve on, not a missing series.
        metrics.Succeeded(SettingsReview.Review(Input(Primary(maxPoolSize: 27), Facts(), instances: 3)));
        findings.RecordObservableInstruments();

        // Assert
        BySeverity(findings)["critical"].ShouldBe(0);
    }

    [Fact]
    public void Failed_AfterAReview_CountedAndTheLastReviewsFindingsKept()
    {
        // Arrange
        var metrics = new PoolReviewMetrics(MeterFactory);
        using var findings = Collect<int>("widgetify.pool_review.findings");
        using var runs = Collect<long>("widgetify.pool_review.runs");
        metrics.Succeeded(SettingsReview.Review(Input(Primary(maxPoolSize: 1000), Facts(), instances: 3)));

        // Act
        metrics.Failed();
        metrics.Failed();
        findings.RecordObservableInstruments();

        // Assert
        runs.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["result"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value))
            .ShouldBe(new Dictionary<string, long> { ["succeeded"] = 1, ["failed"] = 2 }, ignoreOrder: true);
        BySeverity(findings)["critical"].ShouldBe(1);
    }

    /// <summary>A collector of this test's meter factory only: tests in parallel create meters of the same name.</summary>
    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct =>
        new(MeterFactory, PoolReviewMetrics.MeterName, instrument);

    private static Dictionary<string, int> BySeverity(MetricCollector<int> findings) =>
        findings.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["severity"]!, m => m.Value);
}
