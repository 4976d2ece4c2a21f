using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Widgetify.Core.Traffic;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

/// <summary>The pre-routing shed over real HTTP (Kestrel on loopback, no database). The test takes admission's slots
/// itself (<see cref="AdmissionController.TryAcquire(RequestPriority, string?, out AdmissionLease?)"/>), so "reads are refused" is a state it builds, not a race. Whether
/// a 503 came from before routing is told by what only that path does: <see cref="AdmissionStatistics.TotalShedBeforeRouting"/>
/// and the <see cref="PreRoutingShedOptions.OnShed"/> call, which sees no endpoint because routing has not run.</summary>
public sealed class PreRoutingShedMiddlewareTests : IAsyncDisposable
{
    private static readonly AdmissionOptions ReadsAtTwo = new()
    {
        InitialLimit = 4, MinLimit = 4, MaxLimit = 4, ReadShare = 0.5, QueueCapacity = 0, CpuShed = false,
    };

    private readonly List<(string Path, bool Routed)> _shedSeen = [];
    private readonly List<AdmissionLease> _leases = [];
    private WebApplication? _app;
    private HttpClient? _http;

    private AdmissionController Controller => _app!.Services.GetRequiredService<AdmissionController>();

    public async ValueTask DisposeAsync()
    {
        foreach (var lease in _leases)
        {
            lease.Complete(AdmissionOutcome.Ignored);
        }

        _http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task InvokeAsync_ReadsRefused_WritesWellFormed503ProblemBeforeRouting()
    {
        // Arrange
        await StartAsync(ReadsAtTwo);
        Take(RequestPriority.Read, 2);

        // Act
        using var shed = await _http!.GetAsync("/api/things/1");

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var retryAfter = shed.Headers.RetryAfter?.Delta?.TotalSeconds;
        retryAfter.ShouldNotBeNull("a shed request must say when to come back");
        retryAfter.Value.ShouldBeInRange(1, 3);
        shed.Headers.CacheControl.ShouldNotBeNull("a shed response must not be cached").NoStore.ShouldBe(true);
        var bytes = await shed.Content.ReadAsByteArrayAsync();
        shed.Content.Headers.ContentLength.ShouldBe(bytes.Length);
        shed.Content.Headers.ContentType.ShouldNotBeNull().MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(bytes);
        problem.RootElement.GetProperty("status").GetInt32().ShouldBe(503);
        problem.RootElement.GetProperty("type").GetString().ShouldBe("https://tools.ietf.org/html/rfc9110#section-15.6.4");
        problem.RootElement.GetProperty("reason").GetString().ShouldBe("queue_full");
        problem.RootElement.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("read");
        problem.RootElement.GetProperty("retryAfterSeconds").GetInt32().ShouldBe((int)shed.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        Controller.GetStatistics().TotalShedBeforeRouting.ShouldBe(1);
        _shedSeen.ShouldHaveSingleItem().ShouldBe(("/api/things/1", false), "shed before routing chose an endpoint");
    }

    [Fact]
    public async Task InvokeAsync_ReadsRefusedForABrowserNavigating_WritesTheBusyPageBeforeRouting()
    {
        // Arrange: a browser without Sec-Fetch-Dest, navigating (its Accept starts with text/html)
        await StartAsync(ReadsAtTwo);
        Take(RequestPriority.Read, 2);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/things/1");
        request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        // Act
        using var shed = await _http!.SendAsync(request);

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        shed.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().TotalSeconds.ShouldBeInRange(1, 3);
        shed.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBe(true);
        var bytes = await shed.Content.ReadAsByteArrayAsync();
        bytes.ShouldBe(BusyPage.Body.ToArray());
        shed.Content.Headers.ContentLength.ShouldBe(bytes.Length);
        shed.Content.Headers.ContentType.ShouldNotBeNull().ToString().ShouldBe(BusyPage.ContentType);
        shed.Headers.GetValues("Content-Security-Policy").ShouldBe([BusyPage.ContentSecurityPolicy]);
        Controller.GetStatistics().TotalShedBeforeRouting.ShouldBe(1);
    }

    [Fact]
    public async Task InvokeAsync_OnlyReadsRefused_WriteIsNotRefusedBeforeRouting()
    {
        // Arrange: 2 reads in flight use the reads' share; writes still have 2 of their 4 slots
        await StartAsync(ReadsAtTwo);
        Take(RequestPriority.Read, 2);

        // Act
        using var write = await _http!.PostAsync("/api/things", null);
        using var read = await _http.GetAsync("/api/things");

        // Assert
        write.StatusCode.ShouldBe(HttpStatusCode.OK, "a write outranks the reads being shed");
        read.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        Controller.GetStatistics().TotalShedBeforeRouting.ShouldBe(1, "only the read");
    }

    [Fact]
    public async Task InvokeAsync_WritesRefused_WriteShedBeforeRoutingSaysWrite()
    {
        // Arrange
        await StartAsync(ReadsAtTwo);
        Take(RequestPriority.Write, 4);

        // Act
        using var write = await _http!.PostAsync("/api/things", null);

        // Assert
        write.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ReadProblemAsync(write)).GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("write");
        Controller.GetStatistics().TotalShedBeforeRouting.ShouldBe(1);
    }

    [Theory]
    [InlineData("/api/things/1/typo")]
    [InlineData("/api/thingsx")]
    public async Task InvokeAsync_ReadsRefused_PathNoGovernedTemplateMatchesGoesOnToRouting(string path)
    {
        // Arrange
        await StartAsync(ReadsAtTwo);
        Take(RequestPriority.Read, 2);

        // Act
        using var unmapped = await _http!.GetAsync(path);
        using var trailingSlash = await _http.GetAsync("/API/things/1/");

        // Assert: a path no endpoint maps gets routing's 404, not a 503 for a request that could never have been served
        unmapped.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        trailingSlash.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "a template matches case-insensitively, one trailing slash ignored");
        Controller.GetStatistics().TotalShedBeforeRouting.ShouldBe(1);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/metrics")]
    [InlineData("/dashboard")]
    [InlineData("/api/incidents")]
    public async Task InvokeAsync_ShareZero_PathsOutsideTheGovernedOnesAreNeverShed(string path)
    {
        // Arrange: a connection share of 0 refuses every priority, Critical included
        await StartAsync(ReadsAtTwo);
        Controller.SetCeiling(0);

        // Act
        using var exempt = await _http!.GetAsync(path);
        using var governed = await _http.GetAsync("/api/things");

        // Assert
        exempt.StatusCode.ShouldBe(HttpStatusCode.OK);
        governed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ReadProblemAsync(governed)).GetProperty("reason").GetString().ShouldBe("no_capacity");
        Controller.GetStatistics().TotalShedBeforeRouting.ShouldBe(1);
    }

    [Fact]
    public async Task InvokeAsync_ThreeSheds_SpreadRetryAfterOverTheJitter()
    {
        // Arrange: RetryAfter 1 s + jitter 2 s: 1, 2 or 3
        await StartAsync(ReadsAtTwo);
        Controller.SetCeiling(0);

        // Act
        var seconds = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            using var shed = await _http!.GetAsync("/api/things");
            seconds.Add(shed.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        }

        // Assert
        seconds.Order().ToList().ShouldBe([1.0, 2.0, 3.0], "clients shed together are spread evenly over the jitter");
    }

    [Fact]
    public async Task InvokeAsync_Shed_CountedInTheShedMetricWithPriorityAndReason()
    {
        // Arrange
        await StartAsync(ReadsAtTwo);
        using var shedMetric = new MetricCollector<long>(_app!.Services.GetRequiredService<IMeterFactory>(), AdmissionMetrics.MeterName, "widgetify.admission.shed");
        Take(RequestPriority.Read, 2);

        // Act
        using var shed = await _http!.GetAsync("/api/things");

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var measurement = shedMetric.GetMeasurementSnapshot().ShouldHaveSingleItem();
        measurement.Tags["widgetify.priority"].ShouldBe("read");
        measurement.Tags["widgetify.shed.reason"].ShouldBe("queue_full");
    }

    [Fact]
    public async Task InvokeAsync_ShedBeforeRoutingOff_AdmissionAfterRoutingShedsAsBefore()
    {
        // Arrange
        await StartAsync(new AdmissionOptions
        {
            InitialLimit = 4, MinLimit = 4, MaxLimit = 4, ReadShare = 0.5, QueueCapacity = 0, ShedBeforeRouting = false,
        });
        Take(RequestPriority.Read, 2);

        // Act
        using var shed = await _http!.GetAsync("/api/things");

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ReadProblemAsync(shed)).GetProperty("reason").GetString().ShouldBe("queue_full");
        var statistics = Controller.GetStatistics();
        statistics.TotalShedBeforeRouting.ShouldBe(0);
        statistics.TotalQueueFull.ShouldBe(1);
        _shedSeen.ShouldBeEmpty();
    }

    [Fact]
    public async Task InvokeAsync_WouldRefuseButClientAlreadyGone_Answers499UncountedAndOnShedSeesTheAbort()
    {
        // Arrange: every priority refused (share 0), and a request whose client went away before it reached the check
        var options = new AdmissionOptions { InitialLimit = 4, MinLimit = 4, MaxLimit = 4 };
        using var controller = new AdmissionController(options, TimeProvider.System, new Random(1));
        controller.SetCeiling(0);
        var seen = new List<bool>();
        var nextCalled = false;
        var middleware = new PreRoutingShedMiddleware(
            _ =>
            {
                nextCalled = true;
                return Task.CompletedTask;
            },
            controller,
            new PreparedSheds(options),
            new PreRoutingShedOptions { GovernedPaths = ["/api/things"], OnShed = c => seen.Add(c.RequestAborted.IsCancellationRequested) },
            new PreRoutingShedMode(Certain: true, Cpu: null));
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        var context = new DefaultHttpContext { RequestAborted = gone.Token };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/api/things";

        // Act
        await middleware.InvokeAsync(context);

        // Assert: a client that gave up is not shed (as after routing), and the impact hook can tell
        context.Response.StatusCode.ShouldBe(StatusCodes.Status499ClientClosedRequest);
        nextCalled.ShouldBeFalse();
        seen.ShouldBe([true]);
        var statistics = controller.GetStatistics();
        statistics.TotalShedBeforeRouting.ShouldBe(0);
        statistics.TotalNoCapacity.ShouldBe(0);
    }

    [Theory]
    [InlineData("/api/")]
    [InlineData("/api//things")]
    [InlineData("/api/{id")]
    [InlineData("/api/x{id}")]
    public void UseShedBeforeRouting_MalformedGovernedPath_ThrowsNamingThePath(string path)
    {
        // Arrange
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Services.AddAdmissionControl(_ => new AdmissionOptions());
        using var app = builder.Build();

        // Act
        var thrown = Should.Throw<System.ComponentModel.DataAnnotations.ValidationException>(
            () => app.UseShedBeforeRouting(new PreRoutingShedOptions { GovernedPaths = [path] }));

        // Assert
        thrown.Message.ShouldContain($"'{path}'");
    }

    [Fact]
    public async Task InvokeAsync_ProcessorsSaturated_ShedsMostGovernedReadsForCpuAndNeverOperatorsPaths()
    {
        // Arrange: admission has room (it would refuse nothing); the thread pool's wait is 25 times the target
        await StartAsync(CpuOnly, new FakeTimeProvider());
        Saturate(TimeSpan.FromMilliseconds(500));

        // Act
        var sheds = 0;
        for (var i = 0; i < 100; i++)
        {
            using var response = await _http!.GetAsync("/api/things");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                sheds++;
                response.Headers.RetryAfter.ShouldNotBeNull();
                var problem = await ReadProblemAsync(response);
                problem.GetProperty("reason").GetString().ShouldBe("cpu_overload");
                problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldNotContain("database");
            }
            else
            {
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
            }
        }

        // Assert: 95% are shed (binomial, 100 draws: below 80 is about 7 standard deviations away); probes, metrics and the
        // dashboard are never governed, so never shed
        sheds.ShouldBeInRange(80, 100);
        foreach (var path in new[] { "/health/live", "/metrics", "/dashboard" })
        {
            using var response = await _http!.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        }

        var statistics = Controller.GetStatistics();
        statistics.TotalCpuOverload.ShouldBe(sheds);
        statistics.TotalShedBeforeRouting.ShouldBe(sheds);
        statistics.CpuLag.ShouldNotBeNull().ShouldBeGreaterThan(TimeSpan.FromMilliseconds(400));
        _shedSeen.Count.ShouldBe(sheds, "the impact tracker hears of every CPU shed");
    }

    [Fact]
    public async Task InvokeAsync_ProcessorsBusyBelowTheWritesThreshold_ShedsNoWrite()
    {
        // Arrange: a wait of 1.5x the target sheds half the reads, and writes only from twice the target
        await StartAsync(CpuOnly, new FakeTimeProvider());
        Saturate(TimeSpan.FromMilliseconds(30));

        // Act
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await _http!.PostAsync("/api/things", null);
            statuses.Add(response.StatusCode);
        }

        // Assert
        statuses.ShouldAllBe(status => status == HttpStatusCode.OK);
        Controller.GetStatistics().TotalCpuOverload.ShouldBe(0);
    }

    [Fact]
    public async Task InvokeAsync_ProcessorsIdle_ShedsNothingForCpu()
    {
        // Arrange: the probe has measured no wait
        await StartAsync(CpuOnly, new FakeTimeProvider());

        // Act
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await _http!.GetAsync("/api/things/1");
            statuses.Add(response.StatusCode);
        }

        // Assert
        statuses.ShouldAllBe(status => status == HttpStatusCode.OK);
        Controller.GetStatistics().TotalCpuOverload.ShouldBe(0);
    }

    private static readonly AdmissionOptions CpuOnly = new()
    {
        InitialLimit = 100, MinLimit = 100, MaxLimit = 100, ShedBeforeRouting = false, CpuShed = true,
        CpuLagTarget = TimeSpan.FromMilliseconds(20),
    };

    private void Saturate(TimeSpan lag)
    {
        var probe = _app!.Services.GetRequiredService<Widgetify.Overload.CpuOverload.ThreadPoolLagProbe>();
        probe.ObserveProcessCpu(1.0); // and the processors are this process's own (the fake clock never ticks to re-measure)
        for (var i = 0; i < 200; i++)
        {
            probe.Observe(lag);
        }
    }

    private void Take(RequestPriority priority, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Controller.TryAcquire(priority, out var lease).ShouldBeTrue();
            _leases.Add(lease);
        }
    }

    private async Task StartAsync(AdmissionOptions options, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddProblemDetails();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock); // the CPU probe's ticks then never run by themselves
        }

        builder.Services.AddMetrics();
        builder.Services.AddAdmissionControl(_ => options);
        _app = builder.Build();
        _app.UseShedBeforeRouting(new PreRoutingShedOptions
        {
            GovernedPaths = ["/api/things", "/api/things/{id}"],
            OnShed = context =>
            {
                lock (_shedSeen)
                {
                    _shedSeen.Add((context.Request.Path.Value!, context.GetEndpoint() is not null));
                }
            },
        });
        _app.UseRouting();
        _app.UseAdmissionControl();
        _app.MapMethods("/api/things", [HttpMethods.Get, HttpMethods.Post], () => Results.Ok());
        _app.MapGet("/api/things/{id}", (int id) => Results.Ok(id));
        _app.MapGet("/health/live", () => Results.Ok()).ForOperators();
        _app.MapGet("/metrics", () => Results.Ok()).ForOperators();
        _app.MapGet("/dashboard", () => Results.Ok()).ForOperators();
        _app.MapGet("/api/incidents", () => Results.Ok()).ForOperators();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.Content.Headers.ContentType.ShouldNotBeNull(text).MediaType.ShouldBe("application/problem+json", text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
