using System.Globalization;
using Widgetify.Bench.Load;
using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Fleet;

/// <summary>One measured stretch of load on a fleet: a steady count, the rolling restart or the kill -9.</summary>
/// <param name="Phase">"steady", "rolling restart" or "kill -9 api-1".</param>
/// <param name="Instances">The fleet's instance count.</param>
/// <param name="OfferedRate">Requests/s offered (open loop).</param>
/// <param name="Seconds">How long the recorded load ran.</param>
/// <param name="Requests">Requests due in it, sent or not.</param>
/// <param name="Served">2xx, 3xx and 304 answers.</param>
/// <param name="P50Milliseconds">Median latency of the served requests, from their due time.</param>
/// <param name="P99Milliseconds">99th percentile of the same.</param>
/// <param name="Failed">Requests neither served nor shed with Retry-After: other statuses (429 included), 503 without
/// Retry-After, timeouts, connection errors, and requests the generator could not send.</param>
/// <param name="FailedDetail">Which failures, e.g. "502 x3, connection error x1"; "" when none.</param>
/// <param name="Shed">503 answers with Retry-After (the fleet saying "not now", not counted as failed).</param>
/// <param name="PeakInstanceConnections">Most PostgreSQL client backends of the instances (application name
/// widgetify-api-N) in one pg_stat_activity sample; -1 when none was taken.</param>
/// <param name="PeakAllConnections">Most client backends of any application in one sample (the coordinator's and
/// <c>cluster status</c>'s included, the sampler's own not).</param>
/// <param name="Budget">The fleet's connection budget as <c>cluster status</c> reports it; null when it could not say.</param>
/// <param name="Note">What else the phase measured (the restart's length, when the killed instance served again).</param>
/// <param name="RestartExitCode">The rolling restart phase's <c>cluster restart</c> exit code; null in other phases, or
/// when it did not run.</param>
/// <param name="RestartSeconds">How long that <c>cluster restart</c> ran; null likewise.</param>
/// <param name="ShedDetail">Which admission rule shed them, by the <c>reason</c> of each 503's problem body, with the
/// seconds of the phase (from its load's start, warm-up included) they were due in: "queue_timeout x8 (14.2-15.0 s)";
/// "" when none.</param>
internal sealed record FleetPhaseResult(
    string Phase, int Instances, double OfferedRate, double Seconds, long Requests, long Served, double P50Milliseconds, double P99Milliseconds,
    long Failed, string FailedDetail, long Shed, int PeakInstanceConnections, int PeakAllConnections, int? Budget, string Note,
    int? RestartExitCode = null, double? RestartSeconds = null, string ShedDetail = "")
{
    /// <summary>Served requests per second.</summary>
    public double Throughput => Seconds > 0 ? Served / Seconds : 0;

    /// <summary>True when the instances held more connections than the budget at some sample.</summary>
    public bool OverBudget => Budget is { } budget && PeakInstanceConnections > budget;

    /// <summary>Classifies a recorder's outcomes: <see cref="ResponseClassifier"/> counts every 3xx but 304 as an error
    /// status and every 503 as a shed; here a 3xx is served and a 503 without Retry-After is a failure.</summary>
    public static (long Served, long Failed, long Shed, string Detail) Classify(SecondBucket merged, IReadOnlyDictionary<int, long> statuses)
    {
        ArgumentNullException.ThrowIfNull(merged);
        ArgumentNullException.ThrowIfNull(statuses);
        var redirects = statuses.Where(s => s.Key is >= 300 and < 400 and not 304).Sum(s => s.Value);
        var shedWithoutRetryAfter = merged.Count(Outcome.Shed) - merged.ShedWithRetryAfter;
        var failed = merged.Errors - redirects + merged.Count(Outcome.Throttled) + shedWithoutRetryAfter;
        var detail = new List<string>();
        detail.AddRange(statuses.Where(s => s.Key is not (>= 200 and < 400) and not 503).Select(s => F($"{s.Key} x{s.Value}")));
        if (shedWithoutRetryAfter > 0)
        {
            detail.Add(F($"503 without Retry-After x{shedWithoutRetryAfter}"));
        }

        foreach (var (outcome, what) in (ReadOnlySpan<(Outcome, string)>)[(Outcome.Timeout, "timeout"), (Outcome.ConnectionError, "connection error"), (Outcome.NotSent, "not sent")])
        {
            if (merged.Count(outcome) > 0)
            {
                detail.Add(F($"{what} x{merged.Count(outcome)}"));
            }
        }

        return (merged.Count(Outcome.Success) + redirects, failed, merged.ShedWithRetryAfter, string.Join(", ", detail));
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
