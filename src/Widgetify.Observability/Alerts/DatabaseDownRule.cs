namespace Widgetify.Observability.Alerts;

/// <summary>DatabaseDown (page): the server could not be sampled in any second of
/// <see cref="AlertOptions.DatabaseDownWindow"/>; one failed sample is a blip, every one in a row an outage.</summary>
internal sealed class DatabaseDownRule(AlertOptions options) : AlertRule("DatabaseDown", AlertSeverity.Page, options.DatabaseDownFor)
{
    private readonly TimeSpan _window = options.DatabaseDownWindow;

    public override RuleReading Read(SignalSpan span)
    {
        var window = span.Last(_window);
        var down = window.Count(s => !s.DatabaseUp);
        var covered = SignalSpan.Covered(window, _window);
        var values = new Dictionary<string, double>
        {
            ["seconds_down"] = down,
            ["seconds_sampled"] = window.Count,
            ["window_seconds"] = _window.TotalSeconds,
        };
        var holds = SignalSpan.Covers(window, _window) && down == window.Count;
        var summary = holds
            ? $"The database has been unreachable in every sample of the last {AlertText.Duration(_window)}."
            : $"The database was unreachable in {down} of {window.Count} sample(s) over the last {AlertText.Duration(covered)}.";
        return new RuleReading(holds, Severity, summary, values);
    }
}
