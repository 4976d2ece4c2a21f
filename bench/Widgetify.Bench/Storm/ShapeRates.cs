using Widgetify.Bench.Reporting;

namespace Widgetify.Bench.Storm;

/// <summary>
/// The rates of each shape's storm, the same for every configuration: set by the first configuration whose peak of
/// the shape is known (the runner runs Widgetify, 5, first), or by --capacity for all shapes. The baseline is a share
/// of that peak (normal load), the storm <see cref="StormSettings.Overload"/> times it, unless --baseline-rate or
/// --storm-rate say otherwise.
/// </summary>
internal sealed class ShapeRates(StormSettings settings)
{
    private readonly Dictionary<StormShape, (int Number, CapacityResult Capacity)> references = [];

    /// <summary>Offers a configuration's measured peak; the first positive one of each shape becomes its reference.</summary>
    public void Offer(StormShape shape, int number, CapacityResult capacity)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        if (capacity.RequestsPerSecond > 0)
        {
            references.TryAdd(shape, (number, capacity));
        }
    }

    public bool HasReference(StormShape shape) => settings.Capacity is not null || references.ContainsKey(shape);

    /// <summary>The configuration whose peak sets the rates (0 when --capacity gave it).</summary>
    public int ReferenceNumber(StormShape shape) => settings.Capacity is null && references.TryGetValue(shape, out var r) ? r.Number : 0;

    public CapacityResult Capacity(StormShape shape) =>
        settings.Capacity is { } given ? new CapacityResult(given, Measured: false, [])
        : references.TryGetValue(shape, out var r) ? r.Capacity
        : new CapacityResult(0, Measured: false, []);

    public double ReferencePeak(StormShape shape) => Capacity(shape).RequestsPerSecond;

    public double Baseline(StormShape shape) => settings.BaselineRate ?? Math.Max(1, settings.BaselinePeakShare * ReferencePeak(shape));

    public double Offered(StormShape shape) => Math.Max(1, Math.Max(settings.Overload * ReferencePeak(shape), settings.StormRate ?? 0));
}
