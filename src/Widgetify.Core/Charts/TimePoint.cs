namespace Widgetify.Core.Charts;

/// <summary>One point of a <see cref="TimeSeries"/>.</summary>
/// <param name="X">Where on the shared x axis.</param>
/// <param name="Y">The value; null where there is none (a second without a successful request has no p99), which
/// breaks the line rather than joining its neighbours across the gap.</param>
public readonly record struct TimePoint(double X, double? Y);
