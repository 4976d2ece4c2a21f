namespace Widgetify.Bench.Load;

/// <summary>The phases of one configuration's run, in order.</summary>
internal enum Phase
{
    /// <summary>JIT, connection pools and caches warm up; not recorded.</summary>
    Warmup = 0,

    /// <summary>Normal traffic: gives the unloaded latency.</summary>
    Baseline = 1,

    /// <summary>The spike: many times the service's capacity.</summary>
    Storm = 2,

    /// <summary>Normal traffic again: how fast does the service come back?</summary>
    Recovery = 3,
}

/// <summary>A stretch of constant offered load.</summary>
/// <param name="Phase">Which phase it is.</param>
/// <param name="Seconds">Duration in whole seconds, so that phases align with the 1 s buckets.</param>
/// <param name="RatePerSecond">Requests scheduled per second.</param>
internal readonly record struct LoadSegment(Phase Phase, int Seconds, double RatePerSecond);
