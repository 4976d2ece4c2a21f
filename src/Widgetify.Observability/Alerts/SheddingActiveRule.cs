using Widgetify.Observability.Signals;

namespace Widgetify.Observability.Alerts;

/// <summary>SheddingActive (ticket): admission control shed more than <see cref="AlertOptions.ShedRatio"/> of the
/// requests over <see cref="AlertOptions.ShedWindow"/>. Shedding is the mitigation working, not the failure, so it is a
/// ticket: someone should find out why capacity ran short.</summary>
internal sealed class SheddingActiveRule(AlertOptions options) : AlertRule("SheddingActive", AlertSeverity.Ticket, options.ShedFor)
{
    private readonly TimeSpan _window = options.ShedWindow;
    private readonly double _threshold = options.ShedRatio;

    public override RuleReading Read(SignalSpan span)
    {
        var window = span.Last(_window);
        if (window.ShedRatio() is not { } ratio)
        {
            return new RuleReading(false, Severity, $"No request completed in the last {AlertText.Duration(_window)}.", new Dictionary<string, double>());
        }

        var shed = window.Sum(s => s.Shed);
        var requests = window.Requests();
        var values = new Dictionary<string, double>
        {
            ["shed_ratio"] = ratio,
            ["threshold_ratio"] = _threshold,
            ["shed_requests"] = shed,
            ["requests"] = requests,
        };
        var summary = $"Admission control shed {shed} of {requests} requests ({AlertText.Percent(ratio)}) over {AlertText.Duration(_window)} (threshold {AlertText.Percent(_threshold)}).";
        return new RuleReading(ratio > _threshold, Severity, summary, values);
    }
}
