using System.Diagnostics.Metrics;

namespace Widgetify.PoolReview.Rules;

/// <summary>Metrics of the service's own review: the latest review's findings by severity
/// (<c>widgetify_pool_review_findings{severity}</c>, which the PoolSettingsCritical alert reads) and the reviews run
/// by result.</summary>
public sealed class PoolReviewMetrics
{
    /// <summary>The meter's name, to enable in OpenTelemetry.</summary>
    public const string MeterName = "Widgetify.PoolReview";

    private static readonly FindingSeverity[] Severities = Enum.GetValues<FindingSeverity>();

    private readonly Counter<long> runs;
    private ReviewReport? latest;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">Creates the <see cref="MeterName"/> meter.</param>
    public PoolReviewMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(
            "widgetify.pool_review.findings", ObserveFindings, "{finding}",
            "Findings of this instance's latest pool settings review, by severity (critical, warning, info); none before the first review completes.");
        runs = meter.CreateCounter<long>(
            "widgetify.pool_review.runs", "{run}", "Pool settings reviews this instance ran, by result (succeeded, failed).");
    }

    /// <summary>Records a completed review, whose findings the gauge reports from now on.</summary>
    public void Succeeded(ReviewReport report)
    {
        Volatile.Write(ref latest, report);
        runs.Add(1, new KeyValuePair<string, object?>("result", "succeeded"));
    }

    /// <summary>Records a review that could not run; the gauge keeps the last completed one's findings.</summary>
    public void Failed() => runs.Add(1, new KeyValuePair<string, object?>("result", "failed"));

    private IEnumerable<Measurement<int>> ObserveFindings()
    {
        if (Volatile.Read(ref latest) is not { } report)
        {
            yield break;
        }

        foreach (var severity in Severities)
        {
            yield return new Measurement<int>(
                report.Findings.Count(f => f.Severity == severity),
                new KeyValuePair<string, object?>("severity", ReviewDocument.SeverityName(severity)));
        }
    }
}
