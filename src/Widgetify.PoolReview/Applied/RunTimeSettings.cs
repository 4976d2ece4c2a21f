using System.Globalization;
using Widgetify.PoolReview.Rules;

namespace Widgetify.PoolReview.Applied;

/// <summary>Which recommendations <c>./widgetify review --apply</c> may put into effect without a restart, and the plan
/// it makes from a review. Only the primary's <c>Database:MaxPoolSize</c> is: the connection budget's gate bounds the
/// pool at run time, so a new size takes effect at the next lease renewal. Timeouts are baked into the connection
/// strings the pools were built with, a standby's pool follows its own budget, and PostgreSQL's parameters are the
/// server administrator's: those findings are listed as left to do by hand.</summary>
public static class RunTimeSettings
{
    /// <summary>The primary's pool size, the one setting applied at run time.</summary>
    public const string MaxPoolSize = "Database:MaxPoolSize";

    /// <summary>The configuration key a setting is bound from (<c>Widgetify:Database:MaxPoolSize</c>).</summary>
    public static string ConfigurationKey(string setting) => "Widgetify:" + setting;

    /// <summary>The settings that may change at run time, by configuration key.</summary>
    public static IReadOnlySet<string> ConfigurationKeys { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ConfigurationKey(MaxPoolSize) };

    /// <summary>What applying <paramref name="report"/> changes: the primary's pool set to the smallest Max Pool Size its
    /// findings recommend (each is already within what the server affords), never above the per-instance share of the
    /// budget, never from a recommendation drawn from less than an hour of history; and what it leaves alone, and why.</summary>
    /// <param name="report">A review of the settings in effect.</param>
    /// <param name="by">Who applies (recorded with the change).</param>
    public static ApplyPlan Plan(ReviewReport report, string by)
    {
        ArgumentNullException.ThrowIfNull(report);
        var notApplied = new List<string>();
        var primary = report.Servers.FirstOrDefault(s => s.Settings.IsPrimary);
        var candidates = new List<Finding>();
        foreach (var finding in report.Findings.Where(f => f.Recommended is not null))
        {
            var isPool = primary is not null && finding.Server == primary.Settings.Server && finding.Setting == primary.Settings.MaxPoolSizeSetting;
            if (!isPool || finding.Recommended is not int)
            {
                notApplied.Add(F("{0} on {1}: {2} is not changed at run time; set it in the configuration (it takes effect at the next start).",
                    finding.Setting, finding.Server, finding.Recommended));
            }
            else if (finding.DrawnFromHistoryMinutes is { } minutes && minutes < PoolSizeRules.MinimumHistoryMinutes)
            {
                notApplied.Add(F("{0} on {1}: {2} is drawn from {3} minute(s) of history, less than the hour a recommendation needs.",
                    finding.Setting, finding.Server, finding.Recommended, minutes));
            }
            else
            {
                candidates.Add(finding);
            }
        }

        if (primary is null)
        {
            return new ApplyPlan([], notApplied);
        }

        var ceiling = PoolSizeRules.SafePerInstance(primary.Facts, primary.Settings, report.Instances);
        var unfit = report.Findings.Any(f => f.Severity == FindingSeverity.Critical && f.Server == primary.Settings.Server
            && f.Setting == primary.Settings.MaxPoolSizeSetting && f.Recommended is null);
        if (ceiling < 1 && (candidates.Count > 0 || unfit))
        {
            notApplied.Add(F("{0} on {1}: no pool fits the server for {2} instance(s); raise postgresql:max_connections first.",
                MaxPoolSize, primary.Settings.Server, report.Instances));
            return new ApplyPlan([], notApplied);
        }

        if (candidates.Count == 0)
        {
            return new ApplyPlan([], notApplied);
        }

        var chosen = candidates.MinBy(f => (int)f.Recommended!)!;
        var to = Math.Min((int)chosen.Recommended!, ceiling);
        if (to == primary.Settings.MaxPoolSize)
        {
            return new ApplyPlan([], notApplied);
        }

        var change = new AppliedSetting(MaxPoolSize, primary.Settings.Server, primary.Settings.MaxPoolSize, to, report.GeneratedAt, by, chosen.Reason);
        return new ApplyPlan([change], notApplied);
    }

    private static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}

/// <summary>What <c>--apply</c> changes, and the recommendations it leaves to a human, each with why.</summary>
/// <param name="Changes">The settings to change.</param>
/// <param name="NotApplied">One sentence per recommendation left alone.</param>
public sealed record ApplyPlan(IReadOnlyList<AppliedSetting> Changes, IReadOnlyList<string> NotApplied);
