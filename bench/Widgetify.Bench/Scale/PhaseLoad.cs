using Widgetify.Bench.Measurement;

namespace Widgetify.Bench.Scale;

/// <summary>The open-loop load of one phase: its recorder (one bucket per second, by due time) placed on the wall clock,
/// so that the requests due between two moments the samples show (a kill, a drain) can be counted.</summary>
internal sealed class PhaseLoad(string phase, double rate, DateTimeOffset startedAt, LoadRecorder recorder)
{
    public string Phase => phase;

    /// <summary>Requests per second offered.</summary>
    public double Rate => rate;

    /// <summary>When the generator's time zero was, UTC.</summary>
    public DateTimeOffset StartedAt => startedAt;

    /// <summary>Seconds the load ran (set when it ends; the schedule may have been cut short).</summary>
    public double Seconds { get; set; }

    public LoadRecorder Recorder => recorder;

    public LoadSummary Total() => LoadSummary.From(recorder.Merge(0, recorder.Seconds.Count));

    /// <summary>The requests due in the whole seconds of the load that overlap [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public LoadSummary Between(DateTimeOffset from, DateTimeOffset to)
    {
        var first = (int)Math.Floor((from - startedAt).TotalSeconds);
        var last = (int)Math.Ceiling((to - startedAt).TotalSeconds);
        return LoadSummary.From(recorder.Merge(first, Math.Max(first + 1, last)));
    }

    /// <summary>The seconds of the load (from its start) in which a request due ended in an error (not a success, not a 503).</summary>
    public IReadOnlyList<int> SecondsWithErrors() =>
        [.. Enumerable.Range(0, recorder.Seconds.Count).Where(i => recorder.Seconds[i].Errors > 0)];

    /// <summary>Seconds as ranges, for a sentence: 0, 1, 2, 5 is "0-2, 5".</summary>
    public static string Ranges(IReadOnlyList<int> seconds)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        var parts = new List<string>();
        for (var i = 0; i < seconds.Count;)
        {
            var end = i;
            while (end + 1 < seconds.Count && seconds[end + 1] == seconds[end] + 1)
            {
                end++;
            }

            parts.Add(end == i ? FormattableString.Invariant($"{seconds[i]}") : FormattableString.Invariant($"{seconds[i]}-{seconds[end]}"));
            i = end + 1;
        }

        return string.Join(", ", parts);
    }

    /// <summary>Successful requests per second over the whole seconds of the load inside [<paramref name="from"/>,
    /// <paramref name="to"/>]; null when no whole second is.</summary>
    public double? GoodputBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var first = Math.Max(0, (int)Math.Ceiling((from - startedAt).TotalSeconds));
        var last = Math.Min(Math.Min(recorder.Seconds.Count, (int)Math.Floor(Seconds)), (int)Math.Floor((to - startedAt).TotalSeconds));
        return last > first ? LoadSummary.From(recorder.Merge(first, last)).Succeeded / (double)(last - first) : null;
    }
}
