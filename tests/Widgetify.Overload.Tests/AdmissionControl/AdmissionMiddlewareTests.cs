using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Widgetify.Core.Traffic;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

/// <summary>The admission middleware and <see cref="AdmissionServiceCollectionExtensions"/> over real HTTP: a minimal
/// app on Kestrel (loopback, no database) whose <c>/hold</c> endpoints keep their slot until the test releases them,
/// so "saturated" is a state the test builds, not a race it hopes to win.</summary>
public sealed class AdmissionMiddlewareTests : IAsyncDisposable
{
    private HoldingServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task InvokeAsync_LimitSaturated_Sheds503WithRetryAfterAndProblemThenHeldRequestsComplete()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { InitialLimit = 2, MinLimit = 2, MaxLimit = 2, QueueCapacity = 0 });
        var held = new[] { server.Http.PostAsync("/hold", null), server.Http.PostAsync("/hold", null) };
        await server.WaitUntilEnteredAsync(2);

        // Act
        using var shed = await server.Http.PostAsync("/hold", null);
        server.Release();
        var completed = await Task.WhenAll(held);

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var retryAfter = shed.Headers.RetryAfter?.Delta?.TotalSeconds;
        retryAfter.ShouldNotBeNull("a shed request must say when to come back");
        retryAfter.Value.ShouldBeInRange(1, 3);
        shed.Headers.CacheControl.ShouldNotBeNull("a shed response must not be cached").NoStore.ShouldBe(true);
        var problem = await ReadProblemAsync(shed);
        problem.GetProperty("status").GetInt32().ShouldBe(503);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("write");
        problem.GetProperty("reason").GetString().ShouldBe("queue_full");
        completed.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var statistics = server.Controller.GetStatistics();
        statistics.TotalQueueFull.ShouldBe(1);
        statistics.TotalAdmitted.ShouldBe(2);
        DisposeAll(completed);
    }

    [Fact]
    public async Task InvokeAsync_LimitSaturatedForABrowserLoadingAnIframe_ShedsTheBusyPageWithTheSameHeaders()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { InitialLimit = 2, MinLimit = 2, MaxLimit = 2, QueueCapacity = 0 });
        var held = new[] { server.Http.PostAsync("/hold", null), server.Http.PostAsync("/hold", null) };
        await server.WaitUntilEnteredAsync(2);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hold");
        request.Headers.Add("Sec-Fetch-Dest", "iframe");

        // Act
        using var shed = await server.Http.SendAsync(request);
        server.Release();
        DisposeAll(await Task.WhenAll(held));

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        shed.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().TotalSeconds.ShouldBeInRange(1, 3);
        shed.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBe(true);
        shed.Content.Headers.ContentType.ShouldNotBeNull().ToString().ShouldBe(BusyPage.ContentType);
        (await shed.Content.ReadAsByteArrayAsync()).ShouldBe(BusyPage.Body.ToArray());
        server.Controller.GetStatistics().TotalQueueFull.ShouldBe(1, "counted as any shed");
    }

    [Fact]
    public async Task InvokeAsync_BypassEndpointWhileSaturated_Answers200()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { InitialLimit = 1, MinLimit = 1, MaxLimit = 1, QueueCapacity = 0 });
        var held = server.Http.PostAsync("/hold", null);
        await server.WaitUntilEnteredAsync(1);

        // Act
        using var bypass = await server.Http.GetAsync("/live");
        using var governed = await server.Http.GetAsync("/fast");

        // Assert
        bypass.StatusCode.ShouldBe(HttpStatusCode.OK);
        governed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "the same load must shed an endpoint that does not bypass");
        server.Release();
        using var completed = await held;
        completed.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task InvokeAsync_CriticalWhileWritesSaturate_GetsOneSlotAboveTheLimit()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { InitialLimit = 2, MinLimit = 2, MaxLimit = 2, QueueCapacity = 0 });
        var held = new[] { server.Http.PostAsync("/hold", null), server.Http.PostAsync("/hold", null) };
        await server.WaitUntilEnteredAsync(2);

        // Act
        using var write = await server.Http.PostAsync("/fast", null);
        var critical = server.Http.GetAsync("/critical/hold");
        await server.WaitUntilEnteredAsync(1);
        using var secondCritical = await server.Http.GetAsync("/critical/hold");

        // Assert
        write.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        server.Controller.GetStatistics().InFlight.ShouldBe(3, "two writes plus the probe: limit + 1");
        secondCritical.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "Critical gets limit + 1, not unlimited");
        server.Release();
        using var criticalResponse = await critical;
        criticalResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        DisposeAll(await Task.WhenAll(held));
    }

    [Fact]
    public async Task InvokeAsync_ReadsAtReadShare_QueueAndShedWhileAWriteGetsIn()
    {
        // Arrange: limit 4 × ReadShare 0.5 = 2 reads; one queued read fills the queue; the long interval and
        // read budget keep the queued read waiting until the test frees a slot.
        var server = await StartAsync(new AdmissionOptions
        {
            InitialLimit = 4, MinLimit = 4, MaxLimit = 4, ReadShare = 0.5, QueueCapacity = 1,
            QueueInterval = TimeSpan.FromSeconds(10), ReadTimeout = TimeSpan.FromSeconds(30),
        });
        var reads = new[] { server.Http.GetAsync("/hold"), server.Http.GetAsync("/hold") };
        await server.WaitUntilEnteredAsync(2);
        var queuedRead = server.Http.GetAsync("/hold");
        await server.WaitUntilAsync(s => s.GetQueued(RequestPriority.Read) == 1, "the third read is queued");

        // Act
        using var shedRead = await server.Http.GetAsync("/hold");
        var write = server.Http.PostAsync("/hold", null);
        await server.WaitUntilEnteredAsync(1);
        var whileHeld = server.Controller.GetStatistics();
        server.Release();
        var completed = await Task.WhenAll([.. reads, queuedRead, write]);

        // Assert
        shedRead.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ReadProblemAsync(shedRead)).GetProperty("reason").GetString().ShouldBe("queue_full");
        whileHeld.InFlight.ShouldBe(3, "two reads and the write");
        whileHeld.GetQueued(RequestPriority.Read).ShouldBe(1);
        completed.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        DisposeAll(completed);
    }

    [Fact]
    public async Task InvokeAsync_DeadlineHitWhileRunning_Sheds503DeadlineAndReleasesTheSlot()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { ReadTimeout = TimeSpan.FromMilliseconds(200) });

        // Act
        using var response = await server.Http.GetAsync("/stall");

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull("a shed request must say when to come back").Delta.ShouldNotBeNull();
        var problem = await ReadProblemAsync(response);
        problem.GetProperty("reason").GetString().ShouldBe("deadline");
        problem.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("read");
        await server.WaitUntilAsync(s => s.InFlight == 0, "the timed-out request released its slot");
        var statistics = server.Controller.GetStatistics();
        statistics.TotalDeadlineExceeded.ShouldBe(1);
        statistics.TotalShed.ShouldBe(1);
    }

    [Fact]
    public async Task InvokeAsync_DeadlineHitWhileRunningForABrowserLoadingAPage_ShedsTheBusyPage()
    {
        // Arrange: the page is written after the deadline fired, when the request's token is the deadline's (a tester's 500).
        var server = await StartAsync(new AdmissionOptions { ReadTimeout = TimeSpan.FromMilliseconds(200) });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/stall");
        request.Headers.Add("Sec-Fetch-Dest", "iframe");

        // Act
        using var response = await server.Http.SendAsync(request);

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
        (await response.Content.ReadAsByteArrayAsync()).ShouldBe(BusyPage.Body.ToArray());
        server.Controller.GetStatistics().TotalDeadlineExceeded.ShouldBe(1);
    }

    [Fact]
    public async Task InvokeAsync_DeadlineEndsAWaitForAConnection_SaysSoWithoutTheSettingsBehindIt()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { ReadTimeout = TimeSpan.FromMilliseconds(200) });

        // Act
        using var response = await server.Http.GetAsync("/wait-for-connection");

        // Assert: the client learns what it waited for; the share, the limits and the settings stay in the log.
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ReadProblemAsync(response);
        problem.GetProperty("reason").GetString().ShouldBe("deadline");
        var detail = problem.GetProperty("detail").GetString().ShouldNotBeNull();
        detail.ShouldEndWith(AdmissionMiddleware.WaitedForConnection);
        detail.ShouldNotContain("Widgetify:");
        detail.ShouldNotContain("max_connections");
        detail.ShouldNotContain("share of the");
    }

    [Fact]
    public async Task InvokeAsync_DeadlineHitAfterTheResponseStarted_BreaksTheResponseInsteadOfEndingItCleanly()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { ReadTimeout = TimeSpan.FromMilliseconds(200) });
        using var response = await server.Http.GetAsync("/stall-after-start", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);

        // Act: a body ended with its last chunk would read as a whole (if truncated) document.
        var read = await Should.ThrowAsync<Exception>(() => response.Content.ReadAsStringAsync());

        // Assert
        read.ShouldBeAssignableTo<HttpRequestException>().ShouldNotBeNull(read.ToString());
        await server.WaitUntilAsync(s => s.InFlight == 0, "the timed-out request released its slot");
        server.Controller.GetStatistics().TotalDeadlineExceeded.ShouldBe(1);
    }

    [Fact]
    public async Task InvokeAsync_AdmittedAfterItsDeadlinePassed_Sheds503DeadlineWithoutRunningTheEndpoint()
    {
        // Arrange: a fake clock, so "the read's 200 ms budget ran out while it was queued" is a fact, not a race
        var clock = new FakeTimeProvider();
        var server = await StartAsync(
            new AdmissionOptions
            {
                InitialLimit = 1, MinLimit = 1, MaxLimit = 1, QueueInterval = TimeSpan.FromSeconds(10),
                ReadTimeout = TimeSpan.FromMilliseconds(200),
            },
            clock);
        var held = server.Http.PostAsync("/hold", null);
        await server.WaitUntilEnteredAsync(1);
        var queued = server.Http.GetAsync("/hold");
        await server.WaitUntilAsync(s => s.Queued == 1, "the read is queued");

        // Act
        clock.Advance(TimeSpan.FromMilliseconds(300));
        server.Release();
        using var response = await queued;
        using var completed = await held;

        // Assert
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await ReadProblemAsync(response)).GetProperty("reason").GetString().ShouldBe("deadline");
        completed.StatusCode.ShouldBe(HttpStatusCode.OK);
        server.EnteredTotal.ShouldBe(1, "the late read must not run its endpoint");
        await server.WaitUntilAsync(s => s.InFlight == 0, "the late read gave its slot back");
        var statistics = server.Controller.GetStatistics();
        statistics.TotalDeadlineExceeded.ShouldBe(1);
        statistics.TotalCancelledWhileQueued.ShouldBe(0);
    }

    [Fact]
    public async Task InvokeAsync_ClientCancelsWhileQueued_CountedAsCancelledNotShed()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions
        {
            InitialLimit = 1, MinLimit = 1, MaxLimit = 1, QueueInterval = TimeSpan.FromSeconds(10),
            ReadTimeout = TimeSpan.FromSeconds(30),
        });
        var held = server.Http.PostAsync("/hold", null);
        await server.WaitUntilEnteredAsync(1);
        using var leave = new CancellationTokenSource();
        var queued = server.Http.GetAsync("/fast", leave.Token);
        await server.WaitUntilAsync(s => s.Queued == 1, "the read is queued");

        // Act
        await leave.CancelAsync();
        await Should.ThrowAsync<TaskCanceledException>(queued);
        await server.WaitUntilAsync(s => s.TotalCancelledWhileQueued == 1, "the server saw the client leave the queue");

        // Assert
        var statistics = server.Controller.GetStatistics();
        statistics.TotalShed.ShouldBe(0);
        statistics.TotalDeadlineExceeded.ShouldBe(0);
        statistics.Queued.ShouldBe(0);
        server.Release();
        using var completed = await held;
        completed.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task UseAdmissionControl_ModeOff_LetsEverythingThrough()
    {
        // Arrange: settings that would shed the second request if anything enforced them
        var server = await StartAsync(new AdmissionOptions
        {
            Mode = AdmissionMode.Off, InitialLimit = 1, MinLimit = 1, MaxLimit = 1, QueueCapacity = 0,
            StaticPermitLimit = 1, StaticQueueLimit = 0,
        });

        // Act
        var held = Enumerable.Range(0, 3).Select(_ => server.Http.PostAsync("/hold", null)).ToArray();
        await server.WaitUntilEnteredAsync(3);
        server.Release();
        var completed = await Task.WhenAll(held);

        // Assert
        completed.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        server.Controller.GetStatistics().TotalAdmitted.ShouldBe(0);
        DisposeAll(completed);
    }

    [Fact]
    public async Task UseAdmissionControl_ModeStaticPermitsAndQueueFull_Sheds503FromTheConcurrencyLimiter()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions
        {
            Mode = AdmissionMode.Static, StaticPermitLimit = 1, StaticQueueLimit = 0, InitialLimit = 100, MinLimit = 100, MaxLimit = 100,
        });
        var held = server.Http.PostAsync("/hold", null);
        await server.WaitUntilEnteredAsync(1);

        // Act
        using var shed = await server.Http.PostAsync("/hold", null);
        server.Release();
        using var completed = await held;

        // Assert
        shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        completed.StatusCode.ShouldBe(HttpStatusCode.OK);
        server.Controller.GetStatistics().TotalAdmitted.ShouldBe(0, "Static mode must not run the adaptive controller");
    }

    [Fact]
    public async Task UseAdmissionControl_ModeStaticBypassEndpointWhileSaturated_Answers200()
    {
        // Arrange
        var server = await StartAsync(new AdmissionOptions { Mode = AdmissionMode.Static, StaticPermitLimit = 1, StaticQueueLimit = 0 });
        var held = server.Http.PostAsync("/hold", null);
        await server.WaitUntilEnteredAsync(1);

        // Act
        using var bypass = await server.Http.GetAsync("/live");
        using var governed = await server.Http.GetAsync("/fast");

        // Assert
        bypass.StatusCode.ShouldBe(HttpStatusCode.OK, "a liveness probe must not be shed, whichever protection runs");
        governed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        server.Release();
        using var completed = await held;
        completed.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    public static TheoryData<string, Exception, bool> DatabaseFailures => new()
    {
        { "command timeout", new TimeoutException(), true },
        { "pool exhausted (Npgsql 10)", new NpgsqlException("The connection pool has been exhausted", new TimeoutException()), true },
        { "statement cancelled", new PostgresException("canceling statement", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled), true },
        { "too many connections", new PostgresException("sorry, too many clients", "FATAL", "FATAL", PostgresErrorCodes.TooManyConnections), true },
        { "connection refused", new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111)), false },
        { "pool mentioned, no timeout", new NpgsqlException("The connection pool has been shut down."), false },
        { "unique violation", new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation), false },
        { "a bug", new InvalidOperationException("timeout"), false },
    };

    [Theory]
    [MemberData(nameof(DatabaseFailures))]
    public void IsDatabaseTimeout_Failure_CongestionOnlyWhenTheDatabaseRanOutOfTimeOrRoom(string what, Exception exception, bool expected) =>
        AdmissionMiddleware.IsDatabaseTimeout(exception).ShouldBe(expected, what);

    private async Task<HoldingServer> StartAsync(AdmissionOptions options, TimeProvider? clock = null)
    {
        _server = await HoldingServer.StartAsync(options, clock);
        return _server;
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.Content.Headers.ContentType.ShouldNotBeNull(text).MediaType.ShouldBe("application/problem+json", text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static void DisposeAll(IEnumerable<HttpResponseMessage> responses)
    {
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    /// <summary>A minimal app wired like the API (routing, then admission) with endpoints that hold their slot.</summary>
    private sealed class HoldingServer : IAsyncDisposable
    {
        private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
        private readonly WebApplication _app;
        private readonly SemaphoreSlim _entered = new(0);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _enteredTotal;

        private HoldingServer(WebApplication app) => _app = app;

        public HttpClient Http { get; private set; } = null!;

        /// <summary>Requests that have entered a holding handler since start.</summary>
        public int EnteredTotal => Volatile.Read(ref _enteredTotal);

        public AdmissionController Controller => _app.Services.GetRequiredService<AdmissionController>();

        public static async Task<HoldingServer> StartAsync(AdmissionOptions options, TimeProvider? clock)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddProblemDetails();
            if (clock is not null)
            {
                builder.Services.AddSingleton(clock);
            }

            builder.Services.AddAdmissionControl(_ => options);
            var app = builder.Build();
            var server = new HoldingServer(app);
            app.UseRouting();
            app.UseAdmissionControl();

            app.MapMethods("/hold", [HttpMethods.Get, HttpMethods.Post], server.HoldAsync);
            app.MapGet("/critical/hold", server.HoldAsync).WithAdmissionPriority(RequestPriority.Critical);
            app.MapMethods("/fast", [HttpMethods.Get, HttpMethods.Post], () => Results.Ok());
            app.MapGet("/live", () => Results.Ok()).ForOperators();
            app.MapGet("/stall", async (HttpContext context) =>
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
                return Results.Ok();
            });
            app.MapGet("/wait-for-connection", async (HttpContext context) =>
            {
                // What the pool governor throws when the deadline ends a wait for the connection share.
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException ex)
                {
                    throw new OperationCanceledException(
                        "It was waiting for one of the 3 connection(s) of this instance's share of the PostgreSQL connection budget: " +
                        "raise max_connections or Widgetify:Admission:ReadTimeout (currently 0.2 s).",
                        new TimeoutException("The connection share stayed full until the request's deadline.", ex),
                        context.RequestAborted);
                }

                return Results.Ok();
            });
            app.MapGet("/stall-after-start", async (HttpContext context) =>
            {
                // A chunked body already under way when the deadline fires.
                await context.Response.WriteAsync("[\"first\",", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            });

            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
            return server;
        }

        /// <summary>Lets every held request (and any that arrives later) finish.</summary>
        public void Release() => _release.TrySetResult();

        /// <summary>Waits until <paramref name="count"/> more requests have entered a holding handler.</summary>
        public async Task WaitUntilEnteredAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                (await _entered.WaitAsync(Bound)).ShouldBeTrue($"request {i + 1} of {count} should have been admitted to a holding handler");
            }
        }

        public Task WaitUntilAsync(Func<AdmissionStatistics, bool> condition, string because) =>
            BoundedWait.UntilAsync(
                () => condition(Controller.GetStatistics()),
                () => Describe(Controller.GetStatistics()),
                because,
                Bound);

        public async ValueTask DisposeAsync()
        {
            Release();
            Http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            _entered.Dispose();
        }

        private async Task<IResult> HoldAsync()
        {
            Interlocked.Increment(ref _enteredTotal);
            _entered.Release();
            await _release.Task;
            return Results.Ok();
        }

        private static string Describe(AdmissionStatistics s) =>
            $"in flight {s.InFlight}, queued {s.Queued}, admitted {s.TotalAdmitted}, shed {s.TotalShed}, " +
            $"cancelled while queued {s.TotalCancelledWhileQueued}";
    }
}
