using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

public sealed class AdmissionMetricsTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly IMeterFactory _meterFactory;
    private readonly MetricCollector<long> _shed;
    private readonly MetricCollector<long> _admitted;
    private readonly MetricCollector<double> _queueDuration;
    private readonly MetricCollector<int> _limit;
    private readonly MetricCollector<int> _inFlight;
    private readonly MetricCollector<int> _queued;
    private readonly MetricCollector<long> _overShare;
    private readonly MetricCollector<int> _partitions;

    public AdmissionMetricsTests()
    {
        _meterFactory = _services.GetRequiredService<IMeterFactory>();
        _shed = Collect<long>("widgetify.admission.shed");
        _admitted = Collect<long>("widgetify.admission.admitted");
        _queueDuration = Collect<double>("widgetify.admission.queue.duration");
        _limit = Collect<int>("widgetify.admission.limit");
        _inFlight = Collect<int>("widgetify.admission.in_flight");
        _queued = Collect<int>("widgetify.admission.queued");
        _overShare = Collect<long>("widgetify.admission.over_share");
        _partitions = Collect<int>("widgetify.admission.partitions");
    }

    public void Dispose()
    {
        _shed.Dispose();
        _admitted.Dispose();
        _queueDuration.Dispose();
        _limit.Dispose();
        _inFlight.Dispose();
        _queued.Dispose();
        _overShare.Dispose();
        _partitions.Dispose();
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
        var shed = _shed.GetMeasurementSnapshot().ShouldHaveSingleItem();
        shed.Value.ShouldBe(1);
        shed.Tags["widgetify.priority"].ShouldBe("read");
        shed.Tags["widgetify.shed.reason"].ShouldBe("queue_full");
    }

    [Fact]
    public async Task AcquireAsync_FullQueueHeldByOneTenant_RecordsOverShareWithoutTenantLabelAndActivePartitions()
    {
        // Arrange: tenant a holds every slot (7 reads) and the whole queue (2); tenant b arrives
        var controller = Create(o => o.QueueCapacity = 2);
        for (var i = 0; i < 7; i++)
        {
            controller.TryAcquire(RequestPriority.Read, "a", out _).ShouldBeTrue();
        }

        var queued = new[] { controller.AcquireAsync(RequestPriority.Read, "a", CancellationToken.None).AsTask(),
            controller.AcquireAsync(RequestPriority.Read, "a", CancellationToken.None).AsTask() };

        // Act: b evicts a's newest, so a is shed for being over its share (1 of 2 places with two tenants active)
        _ = controller.AcquireAsync(RequestPriority.Read, "b", CancellationToken.None).AsTask();
        (await queued[1]).Reason.ShouldBe(RejectionReason.Evicted);
        _partitions.RecordObservableInstruments();

        // Assert
        var overShare = _overShare.GetMeasurementSnapshot().ShouldHaveSingleItem();
        overShare.Value.ShouldBe(1);
        overShare.Tags.Keys.ShouldBe(["widgetify.priority"], "no tenant label: tenants are unbounded");
        _partitions.LastMeasurement!.Value.ShouldBe(2);
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
        var shedBeforeReport = _shed.GetMeasurementSnapshot().Count;
        controller.ReportDeadlineExceeded(RequestPriority.Write);

        // Assert
        shedBeforeReport.ShouldBe(0);
        var shed = _shed.GetMeasurementSnapshot().ShouldHaveSingleItem();
        shed.Tags["widgetify.shed.reason"].ShouldBe("deadline");
        var waited = _queueDuration.GetMeasurementSnapshot().ShouldHaveSingleItem();
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
        var waited = _queueDuration.GetMeasurementSnapshot().ShouldHaveSingleItem();
        waited.Value.ShouldBe(0.030, 1e-9);
        waited.Tags["widgetify.priority"].ShouldBe("write");
        waited.Tags["widgetify.admission.result"].ShouldBe("admitted");
        _admitted.GetMeasurementSnapshot().Count.ShouldBe(9);
    }

    [Fact]
    public void ObservableInstruments_Collected_ReportLimitInFlightAndQueuedByPriority()
    {
        // Arrange
        var controller = Create();
        controller.SetCeiling(6);
        Fill(controller, 6);
        var queued = controller.AcquireAsync(RequestPriority.Read, CancellationToken.None).AsTask();

        // Act
        RecordObservableInstruments();

        // Assert
        _limit.GetMeasurementSnapshot().ShouldHaveSingleItem().Value.ShouldBe(6);
        _inFlight.GetMeasurementSnapshot().ShouldHaveSingleItem().Value.ShouldBe(6);
        var byPriority = _queued.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["widgetify.priority"]!, m => m.Value);
        byPriority.ShouldBe(new Dictionary<string, int> { ["critical"] = 0, ["write"] = 0, ["read"] = 1, ["background"] = 0 });
        queued.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public void ObservableInstruments_ControllerDisposed_ReportNothing()
    {
        // Arrange
        var controller = Create();
        controller.Dispose();

        // Act
        RecordObservableInstruments();

        // Assert
        _limit.GetMeasurementSnapshot().ShouldBeEmpty();
        _inFlight.GetMeasurementSnapshot().ShouldBeEmpty();
        _queued.GetMeasurementSnapshot().ShouldBeEmpty();
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
        _shed.GetMeasurementSnapshot()
            .Select(m => ((string)m.Tags["widgetify.priority"]!, (string)m.Tags["widgetify.shed.reason"]!))
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

    /// <summary>A collector of one instrument of this test's meter factory only: tests in parallel create meters of
    /// the same name.</summary>
    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct =>
        new(_meterFactory, AdmissionMetrics.MeterName, instrument);

    private void RecordObservableInstruments()
    {
        _limit.RecordObservableInstruments();
        _inFlight.RecordObservableInstruments();
        _queued.RecordObservableInstruments();
    }
}
