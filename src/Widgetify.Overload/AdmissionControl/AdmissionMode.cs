namespace Widgetify.Overload.AdmissionControl;

/// <summary>Which overload protection sits in front of the database work.</summary>
public enum AdmissionMode
{
    /// <summary>Widgetify's adaptive concurrency limit with a CoDel queue and priorities (the default).</summary>
    Adaptive = 0,

    /// <summary>ASP.NET Core's built-in <c>ConcurrencyLimiter</c> with a fixed permit count and a FIFO queue.
    /// Kept for comparison in the storm benchmark; not adaptive and not priority-aware.</summary>
    Static = 1,

    /// <summary>No admission control: every request goes straight to the connection pool (Feb 15's setup).</summary>
    Off = 2,
}
