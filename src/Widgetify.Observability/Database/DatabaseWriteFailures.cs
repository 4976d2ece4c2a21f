using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Npgsql;

namespace Widgetify.Observability.Database;

/// <summary>Writes PostgreSQL refused (meter <see cref="DatabaseMetrics.MeterName"/>):
/// <c>widgetify.database.write_failures</c> (counter, {write}, by <c>sqlstate_class</c>, <c>sqlstate</c> and
/// <c>condition</c>), and the latest refusal that means the server cannot write (<see cref="SqlStates.MeansCannotWrite"/>),
/// which readiness reports. A write is the service's: a POST, PUT or DELETE of the API, or the flush of buffered view
/// counts. Counted: the server answered with an error; not counted: the client's errors and deadlines
/// (<see cref="SqlStates.IsClientsOrDeadlines"/>) and failures without a SQLSTATE (a refused connection: DatabaseDown's).
/// The counter is observable: the codes of <see cref="SqlStates.CannotWriteCodes"/> are reported from the start at 0,
/// so a fleet's rules see them rise instead of appear.</summary>
public sealed class DatabaseWriteFailures
{
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private WriteRefusal? _latestCannotWrite;

    /// <summary>Creates the instrument on the meter of <paramref name="meterFactory"/>.</summary>
    public DatabaseWriteFailures(IMeterFactory meterFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        foreach (var code in SqlStates.CannotWriteCodes)
        {
            _counts[code] = 0;
        }

        meterFactory.Create(DatabaseMetrics.MeterName).CreateObservableCounter(
            "widgetify.database.write_failures", Observe, "{write}",
            "Writes PostgreSQL refused with an error of its own (not the client's), by SQLSTATE.");
    }

    /// <summary>The latest write refused for a reason that means the server cannot write (class 53 or 58); null when
    /// there has been none.</summary>
    public WriteRefusal? LatestCannotWrite => Volatile.Read(ref _latestCannotWrite);

    /// <summary>The server's error in <paramref name="exception"/> or its inner exceptions, if any.</summary>
    public static PostgresException? ServerError(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return postgres;
            }
        }

        return null;
    }

    /// <summary>Counts a failed write when PostgreSQL refused it (see the class summary).</summary>
    /// <returns>The refusal counted, or null when <paramref name="exception"/> is not one.</returns>
    public WriteRefusal? Record(Exception exception)
    {
        if (ServerError(exception) is not { } postgres || SqlStates.IsClientsOrDeadlines(postgres.SqlState))
        {
            return null;
        }

        _counts.AddOrUpdate(postgres.SqlState, 1, static (_, count) => count + 1);
        var refusal = new WriteRefusal(postgres.SqlState, _timeProvider.GetUtcNow());
        if (SqlStates.MeansCannotWrite(postgres.SqlState))
        {
            Volatile.Write(ref _latestCannotWrite, refusal);
        }

        return refusal;
    }

    private IEnumerable<Measurement<long>> Observe() =>
        _counts.Select(count => new Measurement<long>(count.Value,
            new KeyValuePair<string, object?>("sqlstate_class", SqlStates.ClassOf(count.Key)),
            new KeyValuePair<string, object?>("sqlstate", count.Key),
            new KeyValuePair<string, object?>("condition", SqlStates.Condition(count.Key))));
}

/// <summary>A write PostgreSQL refused: its SQLSTATE and when.</summary>
/// <param name="SqlState">The code, e.g. 53100.</param>
/// <param name="At">When the refusal was counted.</param>
public sealed record WriteRefusal(string SqlState, DateTimeOffset At);
