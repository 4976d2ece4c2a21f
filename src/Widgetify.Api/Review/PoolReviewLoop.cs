using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Incidents.Lifecycle;
using Widgetify.PoolReview;
using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Api.Review;

/// <summary>The service reviews its own pool settings (issue 12: "regularly review"): at start, then every
/// <see cref="PoolReviewOptions.Interval"/>, and again soon after an applied setting changed the pool. The same review as
/// <c>./widgetify review</c> (<see cref="PoolSettingsReview"/>), of the configuration the service runs with, against the
/// servers it uses now (standbys added at run time included) and the instances leased in the budget. The result goes to
/// <see cref="LatestPoolReview"/> (<c>GET /api/review</c>), to the findings metric, to the log (a critical finding loudly,
/// with its fix) and to the incident tracker, which puts a critical finding on the timeline of any incident open while it
/// stands. A review that cannot run is retried sooner, with backoff.</summary>
internal sealed partial class PoolReviewLoop(
    IConfiguration configuration, IOptions<WidgetifyOptions> options, IOptions<PoolReviewOptions> reviewOptions, WidgetifyDataSources dataSources,
    LatestPoolReview latest, PoolReviewMetrics metrics, IncidentTracker incidents, TimeProvider timeProvider, ILogger<PoolReviewLoop> logger)
    : BackgroundService
{
    /// <summary>The first retry of a review that could not run; doubled at each failure, at most <see cref="MaxRetry"/>
    /// and never later than the next scheduled review.</summary>
    internal static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(30);

    internal static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(10);

    /// <summary>How many applied changes the document lists.</summary>
    internal const int AppliedShown = 20;

    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Asks for a review now rather than at the next interval (a setting was applied).</summary>
    public void RequestReview() => Volatile.Read(ref wake).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var review = reviewOptions.Value;
        if (!review.Enabled)
        {
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            Volatile.Write(ref wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            TimeSpan wait;
            Task? delay = null;
            try
            {
                wait = review.Interval;
                await RunOnceAsync(timeProvider.GetUtcNow() + wait, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is ReviewUnavailableException or NpgsqlException or TimeoutException or OptionsValidationException or InvalidOperationException)
            {
                failures++;
                var backoff = FirstRetry * Math.Pow(2, Math.Min(failures - 1, 10));
                wait = new[] { backoff, MaxRetry, review.Interval }.Min();
                var next = timeProvider.GetUtcNow() + wait;

                // The timer before the news: whoever reads NextAt and moves the clock there (a fake clock in a test) must
                // find the timer already counting, or it would count from the moved clock and wait a retry too long.
                delay = Task.Delay(wait, timeProvider, stoppingToken);
                // The log gets the whole message (server, address, Npgsql's text); the API only what happened and where to look.
                latest.Failed(PublicReason(ex), next);
                metrics.Failed();
                LogFailed(logger, ex.Message, wait);
            }

            try
            {
                await Task.WhenAny(delay ?? Task.Delay(wait, timeProvider, stoppingToken), Volatile.Read(ref wake).Task).WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Runs one review and publishes it.</summary>
    internal async Task RunOnceAsync(DateTimeOffset nextAt, CancellationToken cancellationToken)
    {
        var report = await PoolSettingsReview.RunAsync(
            configuration, options.Value.Database.ConnectionString!, instances: null, dataSources.Router.ServingStandbys(), timeProvider, cancellationToken);
        var applied = await new AppliedSettingsTable(dataSources.Control).ReadRecentAsync(AppliedShown, cancellationToken);
        latest.Completed(report, applied, nextAt);
        metrics.Succeeded(report);
        incidents.SetStandingFindings([.. report.Findings.Where(f => f.Severity == FindingSeverity.Critical).Select(Standing)]);
        Log(report, nextAt);
    }

    private void Log(ReviewReport report, DateTimeOffset nextAt)
    {
        var critical = report.Findings.Count(f => f.Severity == FindingSeverity.Critical);
        var warnings = report.Findings.Count(f => f.Severity == FindingSeverity.Warning);
        var infos = report.Findings.Count - critical - warnings;
        LogCompleted(logger, critical, warnings, infos, report.Instances, nextAt);
        foreach (var finding in report.Findings.Where(f => f.Severity != FindingSeverity.Info))
        {
            var current = Text(finding.Current);
            var recommended = Text(finding.Recommended);
            if (finding.Severity == FindingSeverity.Critical)
            {
                LogCritical(logger, finding.Setting, finding.Server, current, recommended, finding.Reason);
            }
            else
            {
                LogWarning(logger, finding.Setting, finding.Server, current, recommended, finding.Reason);
            }
        }
    }

    /// <summary>Why a review could not run, in words <c>GET /api/review</c> may show: what happened and where the details
    /// are, never the exception's text, which names hosts, ports and databases.</summary>
    internal static string PublicReason(Exception exception) => exception switch
    {
        // The server answered and said no (a wrong password, a missing privilege, too many connections, starting up):
        // "did not answer" would send the operator after the network. Its SQLSTATE and text stay in the log too.
        PostgresException or ReviewUnavailableException { InnerException: PostgresException } =>
            "a server it reads refused the review's login or query; the service's log says why",
        ReviewUnavailableException or NpgsqlException or TimeoutException =>
            "a database server it reads did not answer; the service's log names the server and the error",
        OptionsValidationException => "a setting it reviews is not valid; the service's log names it",
        _ => "it failed; the service's log says why",
    };

    /// <summary>A critical finding as the incident timeline records it.</summary>
    internal static string Standing(Finding finding) =>
        $"critical: {finding.Setting} on {finding.Server} is {Text(finding.Current)}, recommended {Text(finding.Recommended)}: {finding.Reason}";

    private static string Text(object? value) => value switch
    {
        null => "none",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "none",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool review: {Critical} critical, {Warnings} warning(s), {Infos} info for {Instances} instance(s); details at GET /api/review; next review at {NextAt:O}")]
    private static partial void LogCompleted(ILogger logger, int critical, int warnings, int infos, int instances, DateTimeOffset nextAt);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Pool review: CRITICAL {Setting} on {Server} is {Current}: set it to {Recommended} (./widgetify review --apply does so without a restart; the connection budget clamps the pool meanwhile). {Reason}")]
    private static partial void LogCritical(ILogger logger, string setting, string server, string current, string recommended, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool review: {Setting} on {Server} is {Current}, recommended {Recommended}. {Reason}")]
    private static partial void LogWarning(ILogger logger, string setting, string server, string current, string recommended, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool review could not run, retried in {Wait}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason, TimeSpan wait);
}
