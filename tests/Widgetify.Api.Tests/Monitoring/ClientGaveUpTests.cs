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

namespace Widgetify.Api.Tests.Monitoring;

/// <summary>Issue 10's storm, in miniature, end to end over loopback: a client that cancels a slow request is a client
/// that gave up, recorded 499 in <c>http.server.request.duration</c> and counted as its own class in the signals (which
/// the dashboard, alerts and incidents read), never as a 5xx of ours.</summary>
public sealed class ClientGaveUpTests : IAsyncLifetime
{
    private const string PutRoute = "/api/widgets/{id}";

    // Stands in for what Npgsql throws when a connection breaks under a request whose client left (a cancellation the
    // server did not confirm in time, a stream read cut short): not an OperationCanceledException, so it read as "the
    // database is unavailable" and the abandoned request was recorded 503 in the storm.
    private const string BrokenRoute = "/test/broken-when-abandoned";

    private readonly TaskCompletionSource _brokenStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DedicatedServer? _dedicated;

    private WidgetifyServer Server => _dedicated!.Server;

    // A server of its own: its signals hold this test's requests and no one else's.
    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(mapTestEndpoints: app =>
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
    }

    [Fact]
    public async Task PutWidget_ClientCancelsWhileUpdateWaitsOnALock_Records499AndNo5xx()
    {
        // Arrange: the server's own request metric (its meter factory, not another test's), and a PUT held on a row lock
        using var requests = RequestDurations();
        using var tenant = await Server.CreateTenantAsync();
        using var operatorClient = await Server.CreateTenantAsync(ApiKeyRole.Operator);
        var widget = await tenant.Http.CreateWidgetAsync("Before");
        await using var locker = await UnpooledConnection.OpenAsync(_dedicated!.Postgres.ConnectionString, "gave-up-test-locker");
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT id FROM widgets WHERE id = $1 FOR UPDATE", locker, transaction))
        {
            lockRow.Parameters.Add(new() { Value = widget.Id });
            (await lockRow.ExecuteScalarAsync()).ShouldBe(widget.Id);
        }

        using var giveUp = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/widgets/{widget.Id}")
        {
            Content = JsonContent.Create(new { name = "After", kind = "counter", config = new { } }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"").ShouldBeTrue();
        var put = tenant.Http.SendAsync(request, giveUp.Token);
        await using var admin = await UnpooledConnection.OpenAsync(_dedicated.Postgres.Cluster.AdminConnectionString, "gave-up-test-observer");
        await BoundedWait.UntilAsync(
            () => UpdateWaitsOnAsync(admin, locker.ProcessID), () => "no UPDATE waiting on the lock",
            "the PUT reached PostgreSQL and waits on the lock, so the client gives up on a request the server is working on");

        // Act: the client gives up (its connection is closed under the request)
        await giveUp.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(put);

        // Assert: the request metric says 499, once
        await BoundedWait.UntilAsync(() => StatusesOf(requests, PutRoute, "PUT").Length > 0, () => "no PUT recorded", "the abandoned PUT is recorded when it ends");
        StatusesOf(requests, PutRoute, "PUT").ShouldBe([499], "a client that went away is 499, not the 500/503 the response had by then");

        // Assert: the signals count it as a client that gave up, and not as a failure
        var (clientClosed, serverErrors) = await WaitForClientClosedAsync(operatorClient);
        clientClosed.ShouldBe(1);
        serverErrors.ShouldBe(0);
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
}
