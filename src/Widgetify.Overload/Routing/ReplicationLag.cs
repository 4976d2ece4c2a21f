using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>How far a standby is behind the primary, in bytes of WAL and in time.</summary>
/// <param name="Bytes">WAL the primary has written that the standby has not replayed (0 when caught up).</param>
/// <param name="Time">How old the oldest unreplayed WAL is (zero when caught up).</param>
public readonly record struct ReplicationLag(long Bytes, TimeSpan Time)
{
    /// <summary>No lag at all.</summary>
    public static ReplicationLag None => default;

    /// <summary>Judges a standby's lag from positions, never from the replay timestamp alone:
    /// <c>now() - pg_last_xact_replay_timestamp()</c> grows on an idle system that has nothing to replay, and a standby
    /// whose replay froze with a few KB unreplayed must still count as lagging. So: no unreplayed WAL, no lag; otherwise
    /// the lag is how long ago the primary was first seen past the standby's replay position. When even the oldest
    /// sample is past it (the history does not reach back to when the standby was last caught up, e.g. just after the
    /// router started), the lag is at least the history's span, and the age of the last replayed commit says how much
    /// more: there is unreplayed WAL, and nothing has been replayed for that long.</summary>
    /// <param name="primary">The primary's sampled positions.</param>
    /// <param name="replayed">The standby's <c>pg_last_wal_replay_lsn()</c>.</param>
    /// <param name="lastReplayedCommitAge">The standby's <c>now() - pg_last_xact_replay_timestamp()</c>, if it has
    /// replayed a commit: computed by the database, since the commit time is on the primary's clock, not ours.</param>
    /// <param name="now">The time of the judgement, on the clock the history was sampled with.</param>
    /// <returns>The lag.</returns>
    internal static ReplicationLag Judge(
        PrimaryWalHistory primary, NpgsqlLogSequenceNumber replayed, TimeSpan? lastReplayedCommitAge, DateTimeOffset now)
    {
        if (primary.Latest is not { } latest || latest.Position <= replayed)
        {
            return None;
        }

        var bytes = (long)((ulong)latest.Position - (ulong)replayed);
        var (seenAt, beforeHistory) = primary.FirstSeenBeyond(replayed) ?? (latest.At, false);
        var age = Positive(now - seenAt);
        if (beforeHistory && lastReplayedCommitAge is { } commitAge && commitAge > age)
        {
            age = commitAge;
        }

        return new ReplicationLag(bytes, age);
    }

    private static TimeSpan Positive(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;
}
