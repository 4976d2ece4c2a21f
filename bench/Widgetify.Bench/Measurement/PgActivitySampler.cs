using System.Diagnostics;
using Npgsql;

namespace Widgetify.Bench.Measurement;

/// <summary>One look at pg_stat_activity.</summary>
/// <param name="Timestamp"><see cref="Stopwatch"/> timestamp of the sample.</param>
/// <param name="Total">Client backends, not counting the sampler's own.</param>
/// <param name="ByApplication">Client backends per application_name.</param>
internal sealed record PgActivitySample(long Timestamp, int Total, IReadOnlyDictionary<string, int> ByApplication);

/// <summary>
/// Counts PostgreSQL client backends every 100 ms over one superuser connection opened before any load: the
/// server keeps <c>superuser_reserved_connections</c> slots for it, so the count keeps coming while the
/// service has filled every other slot, which is exactly when it matters.
/// </summary>
internal sealed class PgActivitySampler : IAsyncDisposable
{
    private const string Query =
        "SELECT coalesce(application_name, ''), count(*)::int FROM pg_stat_activity " +
        "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1";

    private readonly string connectionString;
    private readonly TimeSpan interval;
    private readonly List<PgActivitySample> samples = [];
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private NpgsqlConnection? connection;
    private Task? loop;

    public PgActivitySampler(string adminConnectionString, TimeSpan interval)
    {
        connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString)
        {
            Pooling = false,
            ApplicationName = "widgetify-bench-sampler",
            Timeout = 5,
            CommandTimeout = 5,
        }.ConnectionString;
        this.interval = interval;
    }

    /// <summary>Samples that failed (the connection is reopened after a failure).</summary>
    public int Failures { get; private set; }

    /// <summary>Opens the connection (so a broken setup fails here, loudly) and starts sampling.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        loop = Task.Run(() => SampleLoopAsync(stop.Token), CancellationToken.None);
    }

    /// <summary>The most recent sample, or null before the first one.</summary>
    public PgActivitySample? Latest
    {
        get
        {
            lock (gate)
            {
                return samples.Count == 0 ? null : samples[^1];
            }
        }
    }

    /// <summary>Samples taken between two <see cref="Stopwatch"/> timestamps.</summary>
    public IReadOnlyList<PgActivitySample> Between(long fromTimestamp, long toTimestamp)
    {
        lock (gate)
        {
            return samples.FindAll(s => s.Timestamp >= fromTimestamp && s.Timestamp < toTimestamp);
        }
    }

    /// <summary>Waits for a sample taken after now that satisfies <paramref name="condition"/>.</summary>
    /// <returns>True when one came within <paramref name="timeout"/>.</returns>
    public async Task<bool> WaitForAsync(Func<PgActivitySample, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var from = Stopwatch.GetTimestamp();
        var until = from + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (Latest is { } latest && latest.Timestamp > from && condition(latest))
            {
                return true;
            }

            await Task.Delay(interval, cancellationToken);
        }

        return false;
    }

    /// <summary>Ends every client backend but the sampler's (used when a stopped service left some behind).</summary>
    public async Task<int> TerminateOthersAsync(CancellationToken cancellationToken)
    {
        await using var admin = new NpgsqlConnection(connectionString);
        await admin.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE backend_type = 'client backend' " +
            "AND pid <> pg_backend_pid() AND application_name <> 'widgetify-bench-sampler'", admin);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task SampleLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                connection ??= await OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand(Query, connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var byApplication = new Dictionary<string, int>(StringComparer.Ordinal);
                var total = 0;
                while (await reader.ReadAsync(cancellationToken))
                {
                    var count = reader.GetInt32(1);
                    byApplication[reader.GetString(0)] = count;
                    total += count;
                }

                var sample = new PgActivitySample(Stopwatch.GetTimestamp(), total, byApplication);
                lock (gate)
                {
                    samples.Add(sample);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                Failures++;
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var opened = new NpgsqlConnection(connectionString);
        try
        {
            await opened.OpenAsync(cancellationToken);
            return opened;
        }
        catch
        {
            await opened.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (loop is not null)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
                // Stopped mid-query.
            }
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        stop.Dispose();
    }
}
