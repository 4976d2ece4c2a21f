namespace Widgetify.Observability.Alerts;

/// <summary>PoolSaturation (page): connections in use over this instance's connection share, averaged over
/// <see cref="AlertOptions.PoolSaturationWindow"/> (seconds without a share are skipped), at or above
/// <see cref="AlertOptions.PoolSaturationRatio"/>: the next burst of requests will queue for a connection.</summary>
internal sealed class PoolSaturationRule(AlertOptions options) : AlertRule("PoolSaturation", AlertSeverity.Page, options.PoolSaturationFor)
{
    private readonly TimeSpan _window = options.PoolSaturationWindow;
    private readonly double _threshold = options.PoolSaturationRatio;

    public override RuleReading Read(SignalSpan span)
    {
        long used = 0, share = 0;
        var seconds = 0;
        foreach (var s in span.Last(_window))
        {
            if (s.ConnectionShare > 0)
            {
                used += s.PoolUsed;
                share += s.ConnectionShare;
                seconds++;
            }
        }

        if (share == 0)
        {
            return new RuleReading(false, Severity, $"No connection share in the last {AlertText.Duration(_window)}.", new Dictionary<string, double>());
        }

        // The ratio of sums is avg(used) / avg(share): a share that moved during the window weighs each second alike.
        var ratio = (double)used / share;
        var values = new Dictionary<string, double>
        {
            ["pool_used_average"] = (double)used / seconds,
            ["connection_share_average"] = (double)share / seconds,
            ["saturation_ratio"] = ratio,
            ["threshold_ratio"] = _threshold,
        };
        var summary = $"The pool used {AlertText.Percent(ratio)} of its connection share on average over {AlertText.Duration(_window)} " +
            $"({AlertText.Number(values["pool_used_average"])} of {AlertText.Number(values["connection_share_average"])}; threshold {AlertText.Percent(_threshold)}).";
        return new RuleReading(ratio >= _threshold, Severity, summary, values);
    }
}
