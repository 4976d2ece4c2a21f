using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Overload;

/// <summary>Overload protection as PostgreSQL sees it. A request's deadline reaches the database: when a write's time
/// budget runs out while PostgreSQL is still working on it, the client gets a 503 and the command is cancelled on the
/// server, not left running for nobody. Shed work is shed before it touches the database, and shed view flushes lose
/// no counts.</summary>
public sealed class RequestDeadlineTests : IAsyncLifetime
{
    private static readonly object Before = new { name = "Before", kind = "counter", config = new { } };
    private static readonly object After = new { name = "After", kind = "counter", config = new { } };

    private DedicatedServer? _dedicated;

    private TestPostgres Postgres => _dedicated!.Postgres;

    private WidgetifyServer Server => _dedicated!.Server;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Widgetify:Admission:WriteTimeout"] = "00:00:00.500",

        // A fixed limit, so the slots a test takes are the only thing that decides what is admitted.
        ["Widgetify:Admission:InitialLimit"] = "4",
        ["Widgetify:Admission:MinLimit"] = "4",
        ["Widgetify:Admission:MaxLimit"] = "4",
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }

    [Fact]
    public async Task PutWidget_RowLockedPastWriteTimeout_Sheds503DeadlineAndCancelsTheCommandOnTheServer()
    {
        // Arrange: the test holds the widget's row lock, so the PUT's UPDATE waits for it
        using var tenant = await Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Before");
        await using var locker = await UnpooledConnection.OpenAsync(Postgres.ConnectionString, "deadline-test-locker");
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM widgets WHERE id = $1 FOR UPDATE", locker, transaction))
        {
            lockRow.Parameters.Add(new() { Value = widget.Id });
            (await lockRow.ExecuteScalarAsync()).ShouldBe(widget.Id);
        }

        await using var admin = await UnpooledConnection.OpenAsync(Postgres.Cluster.AdminConnectionString, "deadline-test-observer");
        using var watching = new CancellationTokenSource();
        var sawUpdateWaiting = WatchForBlockedUpdateAsync(admin, locker.ProcessID, watching.Token);

        // Act
        using var response = await tenant.Http.PutWidgetAsync(widget.Id, After, "\"1\"");
        await watching.CancelAsync();

        // Assert: a 503 that says the deadline shed it
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull("a shed request must say when to come back").Delta.ShouldNotBeNull("Retry-After must be a delay in seconds");
        ReasonOf(problem).ShouldBe("deadline", problem.GetRawText());
        (await sawUpdateWaiting).ShouldBeTrue("the UPDATE must have reached PostgreSQL and waited on the lock, or this test proves nothing");

        // Assert: while the lock is still held, nothing of Widgetify's is left waiting on it: the command was cancelled
        // on the server (an abandoned one would wait until the lock is released or the 10 s command timeout)
        var busy = "";
        await BoundedWait.UntilAsync(
            async () => (busy = await DescribeBusyWidgetifySessionsAsync(admin, locker.ProcessID)).Length == 0,
            () => busy,
            "no Widgetify session is still running or waiting after the deadline",
            TimeSpan.FromSeconds(3));
        Server.Services.GetRequiredService<AdmissionController>().GetStatistics().TotalDeadlineExceeded.ShouldBe(1);

        // Assert: the timed-out write was not applied, and a retry once the lock is gone succeeds
        await transaction.RollbackAsync();
        var unchanged = await tenant.Http.GetWidgetAsync(widget.Id);
        unchanged.Name.ShouldBe("Before");
        unchanged.Version.ShouldBe(1);
        using var retry = await tenant.Http.PutWidgetAsync(widget.Id, After, "\"1\"");
        var updated = await retry.ShouldBeWidgetAsync();
        updated.Name.ShouldBe("After");
        updated.Version.ShouldBe(2);
    }

    [Fact]
    public async Task GetHealthLive_InstanceShareZero_Answers200WhileDatabaseWorkIsShed()
    {
        // Arrange: what ConnectionShareWiring does when the fleet leaves this instance no connections
        using var tenant = await Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Before");
        var admission = Server.Services.GetRequiredService<AdmissionController>();
        var ceiling = admission.GetStatistics().Ceiling.ShouldNotBeNull();
        admission.SetCeiling(0);
        using var anonymous = Server.CreateClient();

        try
        {
            // Act
            using var live = await anonymous.GetAsync("/health/live");
            using var ready = await anonymous.GetAsync("/health/ready");
            using var embed = await anonymous.GetAsync($"/w/{widget.Id}");
            using var put = await tenant.Http.PutWidgetAsync(widget.Id, Before, "\"1\"");

            // Assert
            live.StatusCode.ShouldBe(HttpStatusCode.OK, await live.Content.ReadAsStringAsync());
            ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "no share: not ready, so the balancer sends traffic elsewhere");
            ReasonOf(await embed.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).ShouldBe("no_capacity");
            ReasonOf(await put.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable)).ShouldBe("no_capacity");
        }
        finally
        {
            admission.SetCeiling(ceiling);
        }
    }

    [Fact]
    public async Task ViewCountFlusher_FlushesShedWhileBackgroundShareFull_CountsWrittenOnceLoadPasses()
    {
        // Arrange: limit 4 leaves background work floor(4 × 0.5) = 2 slots and reads 3; the test holds 2 slots, so
        // views are served while every periodic flush is shed
        using var tenant = await Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Viewed");
        var admission = Server.Services.GetRequiredService<AdmissionController>();
        var held = new List<AdmissionLease>();
        for (var i = 0; i < 2; i++)
        {
            admission.TryAcquire(RequestPriority.Write, out var lease).ShouldBeTrue();
            held.Add(lease);
        }

        using var anonymous = Server.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            using var view = await anonymous.GetAsync($"/w/{widget.Id}");
            view.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var shedBefore = admission.GetStatistics().TotalShed;
        await BoundedWait.UntilAsync(
            () => admission.GetStatistics().TotalShed >= shedBefore + 2,
            () => $"shed {admission.GetStatistics().TotalShed}",
            "two flushes after the views were shed");
        var whileShed = await ViewCountAsync(widget.Id);

        // Act
        foreach (var lease in held)
        {
            lease.Dispose();
        }

        // Assert
        whileShed.ShouldBe(0, "a shed flush must not write");
        var written = 0L;
        await BoundedWait.UntilAsync(
            async () => (written = await ViewCountAsync(widget.Id)) == 5,
            () => $"view_count {written}",
            "the buffered views are written once flushes are admitted");
    }

    private static string? ReasonOf(JsonElement problem) =>
        problem.TryGetProperty("reason", out var reason) ? reason.GetString() : $"(no reason in {problem.GetRawText()})";

    /// <summary>Polls until a Widgetify backend is seen waiting on the locker's lock with an UPDATE of widgets.</summary>
    private static async Task<bool> WatchForBlockedUpdateAsync(NpgsqlConnection admin, int lockerPid, CancellationToken stop)
    {
        await using var probe = new NpgsqlCommand("""
            SELECT count(*) FROM pg_stat_activity
            WHERE application_name LIKE 'widgetify%' AND query LIKE 'UPDATE widgets%' AND $1 = ANY(pg_blocking_pids(pid))
            """, admin);
        probe.Parameters.Add(new() { Value = lockerPid });
        while (!stop.IsCancellationRequested)
        {
            if ((long)(await probe.ExecuteScalarAsync(CancellationToken.None))! > 0)
            {
                return true;
            }

            await Task.Delay(2, CancellationToken.None);
        }

        return false;
    }

    /// <summary>Widgetify's sessions that are running a statement or sit in a transaction, other than the locker's.</summary>
    private static async Task<string> DescribeBusyWidgetifySessionsAsync(NpgsqlConnection admin, int lockerPid)
    {
        await using var command = new NpgsqlCommand("""
            SELECT coalesce(string_agg(format('%s (%s, %s): %s', application_name, state, wait_event_type, query), '; '), '')
            FROM pg_stat_activity
            WHERE application_name LIKE 'widgetify%' AND pid <> $1 AND state <> 'idle'
            """, admin);
        command.Parameters.Add(new() { Value = lockerPid });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> ViewCountAsync(Guid widgetId)
    {
        await using var connection = await UnpooledConnection.OpenAsync(Postgres.ConnectionString, "deadline-test-reader");
        await using var command = new NpgsqlCommand("SELECT view_count FROM widgets WHERE id = $1", connection);
        command.Parameters.Add(new() { Value = widgetId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
