namespace Widgetify.Bench.Scale;

/// <summary>Reads per second one server served over a window, from its <c>readsServed</c> at both ends.</summary>
internal sealed record ServerRate(string Server, string Role, double ReadsPerSecond);

/// <summary>
/// Who served the reads over a stretch of a phase: each server's reads per second between the first sample at or after
/// <see cref="From"/> and the last at or before <see cref="To"/>, and the generator's successful reads per second over
/// the whole seconds of the load inside it. What the model of a replica on separate machines is built from.
/// </summary>
internal sealed record RateWindow(string Label, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<ServerRate> Servers, double? Goodput)
{
    /// <summary>Seconds shorter than this between the two samples make no rate.</summary>
    internal const double MinimumSeconds = 1;

    public double Seconds => (To - From).TotalSeconds;

    public static RateWindow? Measure(string label, IReadOnlyList<ScalingSample> samples, DateTimeOffset from, DateTimeOffset to, PhaseLoad? load)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var first = samples.FirstOrDefault(s => s.At >= from);
        var last = samples.LastOrDefault(s => s.At <= to);
        if (first is null || last is null || (last.At - first.At).TotalSeconds < MinimumSeconds)
        {
            return null;
        }

        var seconds = (last.At - first.At).TotalSeconds;
        var rates = last.Status.Servers
            .Select(end => (end, start: first.Status.Servers.FirstOrDefault(end.IsSameServer)))
            .Where(p => p.start is not null)
            .Select(p => new ServerRate(p.end.Name, p.end.Role, (p.end.ReadsServed - p.start!.ReadsServed) / seconds))
            .ToList();
        return new RateWindow(label, first.At, last.At, rates, load?.GoodputBetween(first.At, last.At));
    }
}
