using System.Globalization;
using Widgetify.Observability.Database;

namespace Widgetify.Observability.Alerts;

/// <summary>DatabaseWritesFailing (page): PostgreSQL refused at least <see cref="AlertOptions.DatabaseWritesFailingMinFailures"/>
/// writes over <see cref="AlertOptions.DatabaseWritesFailingWindow"/> because it cannot write, a resource ran out (SQLSTATE
/// class 53: disk full, out of memory, no connection slot) or its storage failed (class 58: I/O error). The server
/// answers, so DatabaseDown stays quiet, and reads still work, so latency and shed alerts may too; the summary names
/// the condition and its code ("disk full (53100)") and what to do.</summary>
internal sealed class DatabaseWritesFailingRule(AlertOptions options)
    : AlertRule("DatabaseWritesFailing", AlertSeverity.Page, options.DatabaseWritesFailingFor)
{
    private readonly TimeSpan _window = options.DatabaseWritesFailingWindow;
    private readonly int _threshold = options.DatabaseWritesFailingMinFailures;

    public override RuleReading Read(SignalSpan span)
    {
        var byCode = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var second in span.Last(_window))
        {
            foreach (var (code, count) in second.WriteFailures)
            {
                if (SqlStates.MeansCannotWrite(code))
                {
                    byCode[code] = byCode.GetValueOrDefault(code) + count;
                }
            }
        }

        var refused = byCode.Values.Sum();
        var values = new Dictionary<string, double>
        {
            ["refused_writes"] = refused,
            ["threshold_writes"] = _threshold,
            ["window_seconds"] = _window.TotalSeconds,
        };
        if (refused == 0)
        {
            return new RuleReading(false, Severity,
                $"PostgreSQL refused no write for lack of resources or by failing storage in the last {AlertText.Duration(_window)}.", values);
        }

        // Most refusals first: the condition that names the alert is the one doing the harm.
        var causes = byCode.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
        foreach (var (code, count) in causes)
        {
            values["sqlstate_" + code] = count;
        }

        var listed = string.Join(", ", causes.Select(c => string.Create(CultureInfo.InvariantCulture, $"{SqlStates.Describe(c.Key)} x{c.Value}")));
        var summary = $"PostgreSQL refused {refused} write(s) in the last {AlertText.Duration(_window)}: {listed}. {SqlStates.WhatToDo(causes[0].Key)}";
        return new RuleReading(refused >= _threshold, Severity, summary, values);
    }
}
