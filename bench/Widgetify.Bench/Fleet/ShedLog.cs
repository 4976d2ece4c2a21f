using System.Globalization;

namespace Widgetify.Bench.Fleet;

/// <summary>The 503s of one phase with the reason their problem body names and their due time: which admission rule
/// shed them, and when in the phase (to be matched with the instances' logs).</summary>
internal sealed class ShedLog
{
    private readonly Lock _lock = new();
    private readonly List<(double Due, string Reason)> _sheds = [];

    public void Add(double dueSeconds, string? reason)
    {
        lock (_lock)
        {
            _sheds.Add((dueSeconds, reason ?? "no reason (not the service's 503)"));
        }
    }

    /// <summary>"queue_timeout x8 (14.2-15.0 s)", one part per reason, for the 503s due in the measured seconds (after
    /// <paramref name="warmup"/>, for <paramref name="seconds"/>), as the table counts them; the times are from the load's
    /// start, warm-up included.</summary>
    public string Describe(int warmup, int seconds)
    {
        lock (_lock)
        {
            return string.Join(", ", _sheds
                .Where(s => s.Due >= warmup && s.Due < warmup + seconds)
                .GroupBy(s => s.Reason, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} x{g.Count()} ({g.Min(s => s.Due):0.0}-{g.Max(s => s.Due):0.0} s)")));
        }
    }
}
