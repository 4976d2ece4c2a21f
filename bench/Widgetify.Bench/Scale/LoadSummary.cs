using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Scale;

/// <summary>What became of the requests due in a stretch of a phase: successes (2xx; the reads-only mix gets 200),
/// 503s with and without <c>Retry-After</c>, and the errors (other statuses, timeouts, connection errors, not sent).</summary>
internal sealed record LoadSummary(
    long Requests, long Succeeded, long Shed, long ShedWithRetryAfter, long ErrorStatuses, long Timeouts, long ConnectionErrors, long NotSent,
    double P99Ms)
{
    /// <summary>Neither a success nor a 503: what the goals allow none of.</summary>
    public long Errors => ErrorStatuses + Timeouts + ConnectionErrors + NotSent;

    /// <summary>Neither a success nor a shed 503 that says when to come back.</summary>
    public long Unexpected => Errors + (Shed - ShedWithRetryAfter);

    public static LoadSummary From(SecondBucket bucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        return new LoadSummary(
            bucket.Total, bucket.Count(Outcome.Success), bucket.Count(Outcome.Shed), bucket.ShedWithRetryAfter, bucket.Count(Outcome.ErrorStatus),
            bucket.Count(Outcome.Timeout), bucket.Count(Outcome.ConnectionError), bucket.Count(Outcome.NotSent),
            bucket.Success.MillisecondsAtPercentile(99));
    }

    /// <summary>"3 errors (1 status, 2 timeouts, 0 connection, 0 not sent) and 4 503s without Retry-After of 1,234".</summary>
    public string Describe() => FormattableString.Invariant(
        $"{Unexpected:N0} of {Requests:N0}: {ErrorStatuses} other statuses, {Timeouts} timeouts, {ConnectionErrors} connection errors, {NotSent} not sent, {Shed - ShedWithRetryAfter} 503s without Retry-After ({Shed:N0} 503s in all)");
}
