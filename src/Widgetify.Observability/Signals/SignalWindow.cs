namespace Widgetify.Observability.Signals;

/// <summary>Sums over a window of snapshots: the rates and quantiles an alert rule or the postmortem reads.</summary>
public static class SignalWindow
{
    /// <summary>Requests answered in the window, sheds included (<see cref="SignalSnapshot.Requests"/>).</summary>
    public static long Requests(this IReadOnlyList<SignalSnapshot> window) => window.Sum(s => s.Requests);

    /// <summary>Shed requests over answered requests (at most 1); null without requests.</summary>
    public static double? ShedRatio(this IReadOnlyList<SignalSnapshot> window)
    {
        var requests = window.Requests();
        return requests == 0 ? null : (double)window.Sum(s => s.Shed) / requests;
    }

    /// <summary>Latency of every request in the window.</summary>
    public static LatencyDistribution Latency(this IReadOnlyList<SignalSnapshot> window) =>
        window.Aggregate(LatencyDistribution.Empty, (sum, s) => sum.Add(s.Latency));

    /// <summary>Time to get a connection in the window.</summary>
    public static LatencyDistribution AcquireWait(this IReadOnlyList<SignalSnapshot> window) =>
        window.Aggregate(LatencyDistribution.Empty, (sum, s) => sum.Add(s.AcquireWait));
}
