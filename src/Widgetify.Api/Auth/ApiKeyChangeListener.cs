using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Core.Database;

namespace Widgetify.Api.Auth;

/// <summary>Keeps one connection LISTENing on <see cref="Channel"/>, where migration 0002's trigger announces every
/// key insert, revoke, expiry change and delete, and evicts that key from <see cref="ApiKeyCache"/>: a revoked key stops
/// working on every instance as soon as the revoke commits, not after <see cref="ApiOptions.ApiKeyCacheDuration"/>.
/// <para>Notifications sent while the connection is down are lost, so every (re)connect empties the cache before
/// listening resumes: staleness is bounded by the cache duration while disconnected and by one notification's delivery
/// while connected. Reconnects back off from 1 s to 30 s on the injected <see cref="TimeProvider"/>.</para>
/// <para>The connection is this instance's second long-lived one besides the control connection, outside the request
/// pool (it runs no queries but a keep-alive); the connection budget counts both for every instance
/// (<c>SharePlanner.OwnConnectionsPerInstance</c>), so a fleet never opens more than it was granted.</para></summary>
internal sealed partial class ApiKeyChangeListener(
    ApiKeyCache cache, TimeProvider timeProvider, IOptions<WidgetifyOptions> options, ILogger<ApiKeyChangeListener> logger)
    : BackgroundService
{
    public const string Channel = "widgetify_api_keys";
    internal static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    // A connection cut without a FIN (a partition, a dead host) would leave the wait hanging forever: after this much
    // silence a round trip proves the connection alive, or fails it and we reconnect.
    private static readonly TimeSpan KeepAliveAfter = TimeSpan.FromSeconds(15);

    private volatile bool _listening;
    private long _connects;

    /// <summary>True while notifications are being received.</summary>
    public bool IsListening => _listening;

    /// <summary>How many times a LISTEN has been established (the tests' view of a reconnect).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => retry = FirstRetry, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
            {
                LogDisconnected(logger, retry.TotalSeconds, DatabaseUnavailable.Is(ex, out var why) ? why : ex.Message);
            }
            finally
            {
                _listening = false;
            }

            try
            {
                await Task.Delay(retry, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task ListenAsync(Action connected, CancellationToken stoppingToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(options.Value.Database));
        connection.Notification += (_, e) => Apply(e.Payload);
        await connection.OpenAsync(stoppingToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Whatever changed before this LISTEN took effect was not heard: trust nothing remembered from before.
        cache.ForgetAll();
        _listening = true;
        Interlocked.Increment(ref _connects);
        connected();
        LogListening(logger, Channel);
        while (true)
        {
            if (!await connection.WaitAsync(KeepAliveAfter, stoppingToken))
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteNonQueryAsync(stoppingToken);
            }
        }
    }

    /// <summary>Applies one notification, <c>insert|update|delete:&lt;key id&gt;</c>.</summary>
    internal void Apply(string payload)
    {
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && Guid.TryParse(payload.AsSpan(colon + 1), out var keyId))
        {
            cache.Forget(keyId);
        }
        else
        {
            cache.ForgetAll(); // a payload from a newer schema we do not understand: the safe answer is to forget
        }
    }

    private static string ConnectionString(DatabaseOptions database) =>
        new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Timeout = database.ConnectTimeoutSeconds,
            CommandTimeout = database.CommandTimeoutSeconds,
            ApplicationName = database.ApplicationName + "-keys",
            Pooling = false, // one connection for the instance's life, reopened by hand after a failure
        }.ConnectionString;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening for API key changes on '{Channel}'")]
    private static partial void LogListening(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not hearing API key changes (revokes reach this instance within Api:ApiKeyCacheDuration meanwhile); reconnecting in {RetrySeconds} s: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, double retrySeconds, string reason);
}
