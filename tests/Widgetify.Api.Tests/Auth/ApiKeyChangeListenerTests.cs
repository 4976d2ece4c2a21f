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

    private ListeningFleet? _fleet;

    private WidgetifyServer First => _fleet!.First;

    private WidgetifyServer Second => _fleet!.Second;

    public async Task InitializeAsync() => _fleet = await ListeningFleet.StartAsync(new Dictionary<string, string?>(ApiFixture.NeverShed) { ["Widgetify:Api:ApiKeyCacheDuration"] = "00:10:00" });

    public async Task DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
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
        var keyId = (await WidgetifyAdministration.ListKeysAsync(_fleet!.ConnectionString, tenant.Name, CancellationToken.None)).Single().Id;

        // Act: what './widgetify keys revoke ID' does.
        (await WidgetifyAdministration.RevokeKeyAsync(_fleet.ConnectionString, keyId, CancellationToken.None)).ShouldNotBeNull().AlreadyRevoked.ShouldBeFalse();

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
        await using var connection = await UnpooledConnection.OpenAsync(_fleet!.ConnectionString, "widgetify-test");
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
