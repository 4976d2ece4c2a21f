namespace Widgetify.Overload.AdmissionControl;

/// <summary>Set on a request (as a feature) whose body did not arrive before its deadline: the client sent its headers
/// and then stalled. The endpoint answers 408 itself, and <see cref="AdmissionMiddleware"/> takes the request's time as
/// no sample of the database's latency (<see cref="AdmissionOutcome.Ignored"/>) and counts no shed: a slow client says
/// nothing about PostgreSQL, and letting it lower the limit would let a few stalled uploads shed everyone else.</summary>
public sealed class StalledRequestBody
{
    /// <summary>The one instance: the feature's presence is the whole message.</summary>
    public static readonly StalledRequestBody Instance = new();

    private StalledRequestBody()
    {
    }
}
