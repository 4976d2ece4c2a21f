using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Core.Database;

namespace Widgetify.Api.Notifications;

/// <summary>Keeps this instance's one LISTEN connection and hands each notification to the subscribers of its channel:
/// the API key cache (<c>widgetify_api_keys</c>, migration 0002) and the rendered-widget cache (<c>widgetify_widgets</c>
/// and <c>widgetify_poll_votes</c>, migration 0006).
/// <para>Notifications sent while the connection is down are lost, so every (re)connect tells every subscriber
/// (<see cref="INotificationSubscriber.OnListening"/>) after its LISTENs took effect, and each drops what it holds.
/// Reconnects back off from 1 s to 30 s on the injected <see cref="TimeProvider"/>.</para>
/// <para>One connection for every channel: it is this instance's second long-lived one besides the control connection,
/// outside the request pool (it runs no queries but a keep-alive), and the connection budget counts exactly these two
/// for every instance (<c>SharePlanner.OwnConnectionsPerInstance</c>). A new subscriber adds a channel, never a connection.</para>
/// <para>It connects with <c>Database:ConnectionString</c>, the primary's, never a standby's: NOTIFY is not replicated
/// (a standby never delivers one), and a transaction-mode pooler (PgBouncer's <c>pool_mode = transaction</c>) would hand
/// the LISTEN's server session to other clients between statements. A deployment that puts such a pooler in front must
/// give Widgetify a direct (or session-mode) connection string to the primary.</para></summary>
internal sealed partial class NotificationListener(
    IEnumerable<INotificationSubscriber> subscribers, TimeProvider timeProvider, IOptions<WidgetifyOptions> options,
    ILogger<NotificationListener> logger) : BackgroundService
{
    /// <summary>The suffix of this connection's <c>application_name</c> (<c>widgetify-listener</c> by default).</summary>
    public const string ApplicationNameSuffix = "-listener";

    internal static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    // A connection cut without a FIN (a partition, a dead host) would leave the wait hanging forever: after this much
    // silence a round trip proves the connection alive, or fails it and we reconnect.
    private static readonly TimeSpan KeepAliveAfter = TimeSpan.FromSeconds(15);

    private readonly INotificationSubscriber[] _subscribers = [.. subscribers];
    private readonly TaskCompletionSource _firstListening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _listening;
    private long _connects;

    /// <summary>True while notifications are being received.</summary>
    public bool IsListening => _listening;

    /// <summary>Completes the first time the LISTENs took effect, once every subscriber has forgotten what it held: what a
    /// cache reads from then on is kept, and every later change to it is heard (the embed cache's warm-up waits for it).</summary>
    public Task FirstListening => _firstListening.Task;

    /// <summary>How many times the LISTENs have been established (the tests' view of a reconnect).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Every channel listened to, each once.</summary>
    public IReadOnlyList<string> Channels => [.. _subscribers.SelectMany(s => s.Channels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

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
        connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
        await connection.OpenAsync(stoppingToken);
        var channels = Channels;
        await using (var listen = new NpgsqlCommand(string.Concat(channels.Select(c => $"LISTEN {c};")), connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Whatever changed before the LISTENs took effect was not heard: every subscriber forgets what it remembered.
        foreach (var subscriber in _subscribers)
        {
            subscriber.OnListening();
        }

        _listening = true;
        _firstListening.TrySetResult();
        Interlocked.Increment(ref _connects);
        connected();
        LogListening(logger, channels);
        while (true)
        {
            if (!await connection.WaitAsync(KeepAliveAfter, stoppingToken))
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteNonQueryAsync(stoppingToken);
            }
        }
    }

    /// <summary>Hands one notification to the subscribers of its channel.</summary>
    internal void Dispatch(string channel, string payload)
    {
        foreach (var subscriber in _subscribers)
        {
            if (subscriber.Channels.Contains(channel, StringComparer.Ordinal))
            {
                subscriber.OnNotification(channel, payload);
            }
        }
    }

    private static string ConnectionString(DatabaseOptions database) =>
        new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Timeout = database.ConnectTimeoutSeconds,
            CommandTimeout = database.CommandTimeoutSeconds,
            ApplicationName = database.ApplicationName + ApplicationNameSuffix,
            Pooling = false, // one connection for the instance's life, reopened by hand after a failure
        }.ConnectionString;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening for changes on {Channels}")]
    private static partial void LogListening(ILogger logger, IReadOnlyList<string> channels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not hearing database changes (API key revokes reach this instance within Api:ApiKeyCacheDuration and widget edits within Embed:Cache:MaxStaleness meanwhile); reconnecting in {RetrySeconds} s: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, double retrySeconds, string reason);
}
