using Npgsql;

namespace Widgetify.Scaling.Leadership;

/// <summary>The one-row lease that makes exactly one instance of a fleet the autoscaler's leader. Taking, renewing and
/// taking over are one statement: an upsert whose update only applies when the row is this instance's own or has
/// expired, judged by the database's clock (<c>clock_timestamp()</c>), so the instances' clocks never have to agree and
/// two instances racing for an expired lease are ordered by the row lock (the loser's update finds the winner's fresh
/// row and does nothing). The connection budget's leases divide a budget among many holders and need an advisory lock
/// around several statements; one holder of one row needs neither.</summary>
internal sealed class LeaderLease
{
    // The CTE's outer SELECT sees the table as it was before the upsert: when the upsert took nothing, that row is the
    // other holder's.
    private const string AcquireSql = """
        WITH taken AS (
            INSERT INTO widgetify_scaling_leader AS l (singleton, holder_id, holder_name, acquired_at, renewed_at, expires_at)
            VALUES (true, $1, $2, clock_timestamp(), clock_timestamp(), clock_timestamp() + $3)
            ON CONFLICT (singleton) DO UPDATE
                SET holder_id = EXCLUDED.holder_id,
                    holder_name = EXCLUDED.holder_name,
                    acquired_at = CASE WHEN l.holder_id = EXCLUDED.holder_id THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
                    renewed_at = EXCLUDED.renewed_at,
                    expires_at = EXCLUDED.expires_at
                WHERE l.holder_id = EXCLUDED.holder_id OR l.expires_at < clock_timestamp()
            RETURNING holder_name, acquired_at, expires_at)
        SELECT true, holder_name, acquired_at, expires_at FROM taken
        UNION ALL
        SELECT false, holder_name, acquired_at, expires_at FROM widgetify_scaling_leader WHERE NOT EXISTS (SELECT FROM taken)
        """;

    private readonly NpgsqlDataSource dataSource;
    private readonly TimeSpan duration;
    private readonly TimeProvider timeProvider;
    private long heldSince = -1;

    /// <summary>A lease for the instance <paramref name="holderId"/>, named <paramref name="holderName"/> in the table.</summary>
    public LeaderLease(NpgsqlDataSource dataSource, Guid holderId, string holderName, TimeSpan duration, TimeProvider timeProvider)
    {
        this.dataSource = dataSource;
        HolderId = holderId;
        HolderName = holderName;
        this.duration = duration;
        this.timeProvider = timeProvider;
    }

    public Guid HolderId { get; }

    public string HolderName { get; }

    /// <summary>Whether this instance leads by its own account: the last successful renewal started less than the lease
    /// duration ago. Measured from before the statement ran, so this instance stops leading no later than the database
    /// lets another take over, whatever the clocks say.</summary>
    public bool IsHeld
    {
        get
        {
            var since = Volatile.Read(ref heldSince);
            return since >= 0 && timeProvider.GetElapsedTime(since) < duration;
        }
    }

    /// <summary>Takes the lease if it is free or expired, renews it if it is this instance's.</summary>
    /// <returns>Who holds it now.</returns>
    /// <exception cref="NpgsqlException">PostgreSQL could not be reached; <see cref="IsHeld"/> still says whether the
    /// previous renewal covers this instance.</exception>
    public async Task<LeaseHolder> AcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var startedAt = timeProvider.GetTimestamp();
        await using var command = dataSource.CreateCommand(AcquireSql);
        command.Parameters.Add(new() { Value = HolderId });
        command.Parameters.Add(new() { Value = HolderName });
        command.Parameters.Add(new() { Value = duration });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            // Another instance inserted the first row in the same instant: it leads, and the next tick will say who.
            Volatile.Write(ref heldSince, -1);
            return new LeaseHolder(false, null, null, null);
        }

        var held = reader.GetBoolean(0);
        Volatile.Write(ref heldSince, held ? startedAt : -1);
        return new LeaseHolder(held, reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3));
    }

    /// <summary>Gives the lease up, so another instance takes the loop over on its next tick instead of after expiry.</summary>
    /// <returns>True when this instance held it.</returns>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref heldSince, -1);
        await using var command = dataSource.CreateCommand($"DELETE FROM {ScalingSchema.LeaderTable} WHERE holder_id = $1");
        command.Parameters.Add(new() { Value = HolderId });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }
}

/// <summary>Who holds the leader lease, as one acquisition saw it.</summary>
/// <param name="IsSelf">Whether it is this instance.</param>
/// <param name="Name">The holder's instance name; null when not known yet.</param>
/// <param name="Since">When it took the lease, on the database clock.</param>
/// <param name="ExpiresAt">When its lease expires on the database clock.</param>
internal sealed record LeaseHolder(bool IsSelf, string? Name, DateTimeOffset? Since, DateTimeOffset? ExpiresAt);
