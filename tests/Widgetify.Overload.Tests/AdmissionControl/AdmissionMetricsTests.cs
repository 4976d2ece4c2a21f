using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public sealed class AdmissionMetricsTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly IMeterFactory _meterFactory;
    private readonly MeterListener _listener = new();
    private readonly List<Recorded> _recorded = [];

    public AdmissionMetricsTests()
    {
        _meterFactory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this test's meter: tests in parallel create meters of the same name.
            if (instrument.Meter.Scope == _meterFactory)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task AcquireAsync_QueueFull_RecordsShedWithPriorityAndReason()
    {
        // Arrange
        var controller = Create(o => o.QueueCapacity = 0);
        Fill(controller, 8);

        // Act
        var result = await controller.AcquireAsync(RequestPriority.Read, CancellationToken.None);

        // Assert
        result.Reason.ShouldBe(RejectionReason.QueueFull);
        var shed = _recorded.Where(r => r.Name == "widgetify.admission.shed").ShouldHaveSingleItem();
        shed.Value.ShouldBe(1);
        shed.Tags["widgetify.priority"].ShouldBe("read");
        shed.Tags["widgetify.shed.reason"].ShouldBe("queue_full");
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileQueued_IsNoShedUntilReportedAsDeadline()
    {
        // Arrange
        var controller = Create();
        Fill(controller, 8);
        using var cts = new CancellationTokenSource();
        var pending = controller.AcquireAsync(RequestPriority.Write, cts.Token).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(20));

        // Act
        await cts.CancelAsync();
        (await pending).Reason.ShouldBe(RejectionReason.Deadline);
        var shedBeforeReport = _recorded.Count(r => r.Name == "widgetify.admission.shed");
        controller.ReportDeadlineExceeded(RequestPriority.Write);

        // Assert
        shedBeforeReport.ShouldBe(0);
        var shed = _recorded.Where(r => r.Name == "widgetify.admission.shed").ShouldHaveSingleItem();
        shed.Tags["widgetify.shed.reason"].ShouldBe("deadline");
        var waited = _recorded.Where(r => r.Name == "widgetify.admission.queue.duration").ShouldHaveSingleItem();
        waited.Value.ShouldBe(0.020, 1e-9);
        waited.Tags["widgetify.admission.result"].ShouldBe("deadline");
    }

    [Fact]
    public async Task Release_WaiterGrantedAfterWaiting_RecordsQueueDurationInSecondsAndAdmission()
    {
        // Arrange
        var controller = Create();
        var leases = Fill(controller, 8);
        var pending = controller.AcquireAsync(RequestPriority.Write, CancellationToken.None).AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(30));

        // Act
        leases[0].Dispose();

        // Assert
        (await pending).IsAdmitted.ShouldBeTrue();
        var waited = _recorded.Where(r => r.Name == "widgetify.admission.queue.duration").ShouldHaveSingleItem();
        waited.Value.ShouldBe(0.030, 1e-9);
        waited.Tags["widgetify.priority"].ShouldBe("write");
        waited.Tags["widgetify.admission.result"].ShouldBe("admitted");
        _recorded.Count(r => r.Name == "widgetify.admission.admitted").ShouldBe(9);
    }

    [Fact]
    public void ObservableInstruments_Collected_ReportLimitInFlightAndQueuedByPriority()
    {
        // Arrange
        var controller = Create();
        controller.SetCeiling(6);
        Fill(controller, 6);
        var queued = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();
        _recorded.Clear();

        // Act
        _listener.RecordObservableInstruments();

        // Assert
        _recorded.Where(r => r.Name == "widgetify.admission.limit").ShouldHaveSingleItem().Value.ShouldBe(6);
        _recorded.Where(r => r.Name == "widgetify.admission.in_flight").ShouldHaveSingleItem().Value.ShouldBe(6);
        var byPriority = _recorded.Where(r => r.Name == "widgetify.admission.queued")
            .ToDictionary(r => (string)r.Tags["widgetify.priority"]!, r => r.Value);
        byPriority.ShouldBe(new Dictionary<string, double> { ["critical"] = 0, ["write"] = 0, ["read"] = 1, ["background"] = 0 });
        queued.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public void ObservableInstruments_ControllerDisposed_ReportNothing()
    {
        // Arrange
        var controller = Create();
        controller.Dispose();
        _recorded.Clear();

        // Act
        _listener.RecordObservableInstruments();

        // Assert
        _recorded.ShouldBeEmpty();
    }

    [Fact]
    public async Task AcquireAsync_NoCapacity_RecordsShedPerRequest()
    {
        // Arrange
        var controller = Create();
        controller.SetCeiling(0);

        // Act
        await controller.AcquireAsync(RequestPriority.Critical, CancellationToken.None);
        await controller.AcquireAsync(RequestPriority.Background, CancellationToken.None);

        // Assert
        _recorded.Where(r => r.Name == "widgetify.admission.shed")
            .Select(r => ((string)r.Tags["widgetify.priority"]!, (string)r.Tags["widgetify.shed.reason"]!))
            .ShouldBe([("critical", "no_capacity"), ("background", "no_capacity")]);
    }

    private AdmissionController Create(Action<AdmissionOptions>? configure = null)
    {
        // Small limits keep each test's arithmetic readable; tests that need others set them.
        var options = new AdmissionOptions { InitialLimit = 8, MinLimit = 2 };
        configure?.Invoke(options);
        return new AdmissionController(options, _clock, new Random(42), new AdmissionMetrics(_meterFactory));
    }

    private static List<AdmissionLease> Fill(AdmissionController controller, int count)
    {
        var leases = new List<AdmissionLease>();
        for (var i = 0; i < count; i++)
        {
            controller.TryAcquire(RequestPriority.Write, out var lease).ShouldBeTrue();
            leases.Add(lease);
        }

        return leases;
    }

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        var tagMap = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            tagMap[tag.Key] = tag.Value;
        }

        _recorded.Add(new Recorded(instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), tagMap));
    }

    private sealed record Recorded(string Name, double Value, Dictionary<string, object?> Tags);
}
