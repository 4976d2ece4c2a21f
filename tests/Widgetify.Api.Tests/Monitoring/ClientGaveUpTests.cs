using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Incidents.Lifecycle;

namespace Widgetify.Api.Tests.Monitoring;

/// <summary>Issue 10's storm, in miniature, end to end over loopback: a client that cancels a slow request is a client
/// that gave up, recorded 499 in <c>http.server.request.duration</c> and counted as its own class in the signals (which
/// the dashboard, alerts and incidents read) and in an incident's impact and postmortem, never as a 5xx of ours.</summary>
public sealed class ClientGaveUpTests : IAsyncLifetime
{
    private const string PutRoute = "/api/widgets/{id}";

    // Stands in for what Npgsql throws when a connection breaks under a request whose client left (a cancellation the
    // server did not confirm in time, a stream read cut short): not an OperationCanceledException, so it read as "the
    // database is unavailable" and the abandoned request was recorded 503 in the storm.
    private const string BrokenRoute = "/test/broken-when-abandoned";

    private readonly TaskCompletionSource _brokenStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly string _postmortems = Path.Combine(Path.GetTempPath(), "widgetify-pm-" + Guid.NewGuid().ToString("N")[..8]);

    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    // A server of its own: its signals hold this test's requests and no one else's. Its pool has two connections and
    // PoolSaturation fires at half of them, so one PUT held on a lock is an incident: the storm's shape, where clients
    // gave up on requests that held the pool. The timeouts are long so that only the client ends the held PUT.
    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Widgetify:Database:MaxPoolSize"] = "2",
        ["Widgetify:Database:CommandTimeoutSeconds"] = "120",
        ["Widgetify:Admission:WriteTimeout"] = "00:02:00",
        ["Widgetify:Monitoring:Alerts:PoolSaturationRatio"] = "0.5",
        ["Widgetify:Monitoring:Alerts:PoolSaturationWindow"] = "00:00:01",
        ["Widgetify:Monitoring:Alerts:PoolSaturationFor"] = "00:00:00",
        ["Widgetify:Monitoring:Alerts:ResolveAfter"] = "00:00:01",
        ["Widgetify:Monitoring:Incidents:ResolveAfter"] = "00:00:01",
        ["Widgetify:Monitoring:Incidents:PostmortemDirectory"] = _postmortems,
    }, mapTestEndpoints: app =>
        app.MapGet(BrokenRoute, async (CancellationToken cancellationToken) =>
        {
            _brokenStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new NpgsqlException("Exception while reading from stream", new EndOfStreamException());
            }

            return Results.Ok();
        }));

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }

        if (Directory.Exists(_postmortems))
        {
            Directory.Delete(_postmortems, recursive: true);
        }
    }

    [Fact]
    public async Task PutWidget_ClientCancelsWhileUpdateWaitsOnALock_Records499AndNo5xx()
    {
        // Arrange: the server's own request metric (its meter factory, not another test's), and a PUT held on a row lock
        using var requests = RequestDurations();
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        await using var held = await HoldPutOnALockAsync();

        // Act: the client gives up (its connection is closed under the request)
        await held.GiveUpAsync();

        // Assert: the request metric says 499, once
        await BoundedWait.UntilAsync(() => StatusesOf(requests, PutRoute, "PUT").Length > 0, () => "no PUT recorded", "the abandoned PUT is recorded when it ends");
        StatusesOf(requests, PutRoute, "PUT").ShouldBe([499], "a client that went away is 499, not the 500/503 the response had by then");

        // Assert: the signals count it as a client that gave up, and not as a failure
        var (clientClosed, serverErrors) = await WaitForClientClosedAsync(operatorClient);
        clientClosed.ShouldBe(1);
        serverErrors.ShouldBe(0);
    }

    [Fact]
    public async Task PutWidget_ClientGivesUpDuringAnIncident_ImpactAndPostmortemCountItAsGaveUpNot5xx()
    {
        // Arrange: the held PUT saturates the pool, PoolSaturation fires, an incident opens while the request is in flight
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        var tracker = Server.Services.GetRequiredService<IncidentTracker>();
        await using var held = await HoldPutOnALockAsync();
        await BoundedWait.UntilAsync(
            // Not just any incident: SheddingActive (the view-count flush shed behind the held PUT) can open it first
            () => tracker.Current?.Alerts.Contains("PoolSaturation") == true,
            () => tracker.Current is { } open ? $"incident open with [{string.Join(", ", open.Alerts)}]" : "no incident",
            "the held PUT saturates the pool and PoolSaturation fires in an open incident",
            TimeSpan.FromSeconds(60));

        // Act: the client gives up during the incident; the pool is free again, so the incident then resolves
        await held.GiveUpAsync();
        JsonElement incident = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/incidents?limit=1"));
                var latest = document.RootElement.GetProperty("items").EnumerateArray().FirstOrDefault();
                incident = latest.ValueKind == JsonValueKind.Undefined ? default : latest.Clone(); // the document is disposed
                return incident.ValueKind == JsonValueKind.Object && incident.GetProperty("status").GetString() == "resolved"
                    && incident.GetProperty("postmortem").ValueKind == JsonValueKind.String;
            },
            () => incident.ValueKind == JsonValueKind.Undefined ? "no incident stored" : incident.ToString(),
            "the incident resolves once the pool is free, and its postmortem draft is written",
            TimeSpan.FromSeconds(60));

        // Assert: the impact has the request as one whose client gave up, and no failure. (Sheds are not asserted: the
        // view-count flush's background admissions, shed while the PUT holds the limit, are counted there too.)
        incident.GetProperty("alerts").EnumerateArray().Select(a => a.GetString()).ShouldContain("PoolSaturation");
        var impact = incident.GetProperty("impact");
        impact.GetProperty("clientClosed").GetInt64().ShouldBe(1, impact.ToString());
        impact.GetProperty("failed").GetInt64().ShouldBe(0, impact.ToString());
        impact.GetProperty("clientsAffected").GetInt64().ShouldBe(0, "a client that gave up was not hurt by us");

        // Assert: so does the postmortem the service wrote on resolution
        var requests = impact.GetProperty("requests").GetInt64().ToString("N0", CultureInfo.InvariantCulture);
        var draft = await File.ReadAllTextAsync(incident.GetProperty("postmortem").GetString()!);
        draft.ShouldContain(" (0 failed with 5xx, ");
        draft.ShouldContain($": 1 of {requests} ended with 499 because the client went away before the answer. Not failures of ours: in neither count above.");
        draft.ShouldContain("| Clients gave up (499; not failures) | 1/s |");
        draft.ShouldContain("| 5xx (not shed; clients that gave up are 499, not here) | 0/s |");
    }

    [Fact]
    public async Task Get_ClientLeavesAndTheDatabaseCallThenFailsWithNpgsqlException_Records499NotA503()
    {
        // Arrange
        using var requests = RequestDurations();
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        using var client = Server.CreateClient();
        using var giveUp = new CancellationTokenSource();
        var get = client.GetAsync(BrokenRoute, giveUp.Token);
        await _brokenStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Act: the client leaves; the endpoint's database call then fails with a database error, not a cancellation
        await giveUp.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(get);

        // Assert: 499 in the request metric, a client that gave up in the signals, no 5xx
        await BoundedWait.UntilAsync(() => StatusesOf(requests, BrokenRoute, "GET").Length > 0, () => "no GET recorded", "the abandoned GET is recorded when it ends");
        StatusesOf(requests, BrokenRoute, "GET").ShouldBe([499], "a client that went away is 499 whatever the exception, not the 503 a database error gets");
        var (clientClosed, serverErrors) = await WaitForClientClosedAsync(operatorClient);
        clientClosed.ShouldBe(1);
        serverErrors.ShouldBe(0);
    }

    /// <summary>A tenant's PUT that reached PostgreSQL and waits there on a row lock this test holds: a request the server
    /// is working on, holding a pool connection, until its client gives up.</summary>
    private async Task<HeldPut> HoldPutOnALockAsync()
    {
        var tenant = await Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Before");
        var locker = await UnpooledConnection.OpenAsync(_dedicated!.Postgres.ConnectionString, "gave-up-test-locker");
        var transaction = await locker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM widgets WHERE id = $1 FOR UPDATE", locker, transaction))
        {
            lockRow.Parameters.Add(new() { Value = widget.Id });
            (await lockRow.ExecuteScalarAsync()).ShouldBe(widget.Id);
        }

        var giveUp = new CancellationTokenSource();
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/widgets/{widget.Id}")
        {
            Content = JsonContent.Create(new { name = "After", kind = "counter", config = new { } }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"").ShouldBeTrue();
        var held = new HeldPut(tenant, locker, transaction, giveUp, request, tenant.Http.SendAsync(request, giveUp.Token));
        await using var admin = await UnpooledConnection.OpenAsync(_dedicated.Postgres.Cluster.AdminConnectionString, "gave-up-test-observer");
        await BoundedWait.UntilAsync(
            () => UpdateWaitsOnAsync(admin, locker.ProcessID), () => "no UPDATE waiting on the lock",
            "the PUT reached PostgreSQL and waits on the lock, so the client gives up on a request the server is working on");
        return held;
    }

    private static async Task<(long ClientClosed, long ServerErrors)> WaitForClientClosedAsync(TenantClient operatorClient)
    {
        long clientClosed = 0, serverErrors = 0;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var document = JsonDocument.Parse(await operatorClient.Http.GetStringAsync("/api/monitoring/signals?seconds=60"));
                var samples = document.RootElement.GetProperty("samples").EnumerateArray().ToList();
                clientClosed = samples.Sum(s => s.GetProperty("clientClosed").GetInt64());
                serverErrors = samples.Sum(s => s.GetProperty("serverErrors").GetInt64());
                return clientClosed > 0;
            },
            () => $"clientClosed {clientClosed}, serverErrors {serverErrors}",
            "the abandoned request shows in a per-second sample");
        return (clientClosed, serverErrors);
    }

    /// <summary>The server's own request metric (its meter factory, not another test's server's).</summary>
    private MetricCollector<double> RequestDurations() =>
        new(Server.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Hosting", "http.server.request.duration");

    private static int[] StatusesOf(MetricCollector<double> requests, string route, string method) =>
    [
        .. requests.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags.GetValueOrDefault("http.route"), route) && Equals(m.Tags.GetValueOrDefault("http.request.method"), method))
            .Select(m => Convert.ToInt32(m.Tags["http.response.status_code"], CultureInfo.InvariantCulture)),
    ];

    private static async Task<bool> UpdateWaitsOnAsync(NpgsqlConnection admin, int lockerPid)
    {
        await using var probe = new NpgsqlCommand("""
            SELECT count(*) FROM pg_stat_activity
            WHERE application_name LIKE 'widgetify%' AND query LIKE 'UPDATE widgets%' AND $1 = ANY(pg_blocking_pids(pid))
            """, admin);
        probe.Parameters.Add(new() { Value = lockerPid });
        return (long)(await probe.ExecuteScalarAsync())! > 0;
    }

    private sealed class HeldPut(
        TenantClient tenant, NpgsqlConnection locker, NpgsqlTransaction transaction, CancellationTokenSource giveUp, HttpRequestMessage request,
        Task<HttpResponseMessage> put) : IAsyncDisposable
    {
        /// <summary>The client gives up: its connection is closed under the request.</summary>
        public async Task GiveUpAsync()
        {
            await giveUp.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(put);
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await locker.DisposeAsync();
            giveUp.Dispose();
            request.Dispose();
            tenant.Dispose();
        }
    }
}
