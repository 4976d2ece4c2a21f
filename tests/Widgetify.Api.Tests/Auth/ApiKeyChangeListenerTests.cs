using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Administration;
using Widgetify.Api.Notifications;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Auth;

/// <summary>Two instances of the service on one real PostgreSQL, as a fleet runs: a key revoked through one (or by SQL)
/// stops working on the other at once. Both trust a validated key for 10 minutes, so only the LISTEN/NOTIFY path can
/// turn the other instance's answer to 401 within the tests' 10 s bound; nothing advances any clock.</summary>
public sealed class ApiKeyChangeListenerTests : IAsyncLifetime
{
    private static readonly TimeSpan WellWithinTheCacheDuration = TimeSpan.FromSeconds(10);

    private TestPostgres? _postgres;
    private WidgetifyServer? _first;
    private WidgetifyServer? _second;

    private WidgetifyServer First => _first!;

    private WidgetifyServer Second => _second!;

    public async Task InitializeAsync()
    {
        try
        {
            _postgres = await TestPostgres.StartAsync();
            var settings = new Dictionary<string, string?>(ApiFixture.NeverShed) { ["Widgetify:Api:ApiKeyCacheDuration"] = "00:10:00" };
            _first = await WidgetifyServer.StartAsync(_postgres, settings);
            _second = await WidgetifyServer.StartAsync(_postgres, settings);
            await WaitUntilListeningAsync(First);
            await WaitUntilListeningAsync(Second);
        }
        catch
        {
            // xUnit does not dispose a class whose InitializeAsync threw: without this, each failed set-up left a
            // PostgreSQL server running after the test run (seen after a CI run whose servers failed to migrate).
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { _first, _second })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task Revoke_BySqlWhileTheOtherInstanceCachesTheKey_OtherInstanceAnswers401AtOnce()
    {
        // Arrange: the second instance has validated (and cached) the key.
        using var tenant = await First.CreateTenantAsync();
        using var onSecond = Second.CreateClient("Bearer " + tenant.Key);
        (await onSecond.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Act
        await ExecuteAsync($"UPDATE api_keys SET revoked_at = now() WHERE tenant_id = '{tenant.TenantId}'");

        // Assert
        await WaitUntilRefusedAsync(onSecond, "revoked");
        (await tenant.Http.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the first instance too");
    }

    [Fact]
    public async Task Revoke_ThroughAdministration_OtherInstanceAnswers401AtOnce()
    {
        // Arrange
        using var tenant = await First.CreateTenantAsync();
        using var onSecond = Second.CreateClient("Bearer " + tenant.Key);
        (await onSecond.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var keyId = (await WidgetifyAdministration.ListKeysAsync(_postgres!.ConnectionString, tenant.Name, CancellationToken.None)).Single().Id;

        // Act: what './widgetify keys revoke ID' does.
        (await WidgetifyAdministration.RevokeKeyAsync(_postgres.ConnectionString, keyId, CancellationToken.None)).ShouldBeTrue();

        // Assert
        await WaitUntilRefusedAsync(onSecond, "revoked");
    }

    [Fact]
    public async Task ListenerConnectionKilled_Reconnects_ThenARevokeStillReachesAtOnce()
    {
        // Arrange: the key is cached on the second instance, then its listening connection is cut.
        using var tenant = await First.CreateTenantAsync();
        using var onSecond = Second.CreateClient("Bearer " + tenant.Key);
        (await onSecond.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var listener = Second.Services.GetRequiredService<NotificationListener>();
        var connectsBefore = listener.Connects;
        await ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'widgetify-listener'");
        await BoundedWait.UntilAsync(
            () => listener.IsListening && listener.Connects > connectsBefore, () => $"connects {listener.Connects}, listening {listener.IsListening}",
            "the listener reconnected after its first backoff (1 s)");

        // Act
        await ExecuteAsync($"UPDATE api_keys SET revoked_at = now() WHERE tenant_id = '{tenant.TenantId}'");

        // Assert
        await WaitUntilRefusedAsync(onSecond, "revoked");
    }

    private static Task WaitUntilListeningAsync(WidgetifyServer server)
    {
        var listener = server.Services.GetRequiredService<NotificationListener>();
        return BoundedWait.UntilAsync(() => listener.IsListening, () => "not listening", "the instance listens for key changes");
    }

    private static async Task WaitUntilRefusedAsync(HttpClient client, string detailMentions)
    {
        HttpStatusCode last = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync("/api/widgets");
                last = response.StatusCode;
                return last == HttpStatusCode.Unauthorized;
            },
            () => $"status {last}",
            "the revoked key is refused, well before the 10 min cache duration",
            WellWithinTheCacheDuration);
        using var refused = await client.GetAsync("/api/widgets");
        await refused.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, detailMentions);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await UnpooledConnection.OpenAsync(_postgres!.ConnectionString, "widgetify-test");
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
