namespace Widgetify.PoolReview.Rules;

/// <summary>The review's result: its inputs in brief and its findings, most severe first.</summary>
/// <param name="GeneratedAt">When the inputs were read.</param>
/// <param name="Instances">The instance count the pools were multiplied by.</param>
/// <param name="Servers">The servers reviewed.</param>
/// <param name="Findings">Most severe first, then by server and setting.</param>
public sealed record ReviewReport(
    DateTimeOffset GeneratedAt, int Instances, IReadOnlyList<ServerReviewInput> Servers, IReadOnlyList<Finding> Findings)
{
    /// <summary>Whether any finding is critical: a configuration a pipeline should refuse.</summary>
    public bool HasCritical => Findings.Any(f => f.Severity == FindingSeverity.Critical);
}
