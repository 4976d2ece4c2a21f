using System.Globalization;
using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>What one check of a standby found.</summary>
/// <param name="Reachable">It answered within the probe timeout.</param>
/// <param name="InRecovery">It is still a standby (<c>pg_is_in_recovery()</c>).</param>
/// <param name="Replayed">Its replay position; null before it has replayed anything.</param>
/// <param name="LastCommitAge">Age of the last commit it replayed, on its clock.</param>
/// <param name="Share">Connections of it this instance may use.</param>
/// <param name="Problem">Why it could not be checked, when unreachable.</param>
internal readonly record struct ReadServerCheck(
    bool Reachable, bool InRecovery, NpgsqlLogSequenceNumber? Replayed, TimeSpan? LastCommitAge, int Share, string? Problem)
{
    public static ReadServerCheck Unreachable(string reason) => new(false, false, null, null, 0, "unreachable: " + reason);

    /// <summary>The rotation rule: reachable, still a standby, replaying, and no further behind than
    /// <paramref name="maxLag"/>.</summary>
    /// <returns>The state it should be in and, when out of rotation, why.</returns>
    public (ReadServerState State, string? Problem) Judge(ReplicationLag lag, TimeSpan maxLag)
    {
        if (!Reachable)
        {
            return (ReadServerState.Down, Problem);
        }

        if (!InRecovery)
        {
            // A promoted standby is on a timeline of its own: reads there could miss writes the primary acknowledged.
            return (ReadServerState.Down, "not a standby any more (pg_is_in_recovery() is false): promoted or misconfigured");
        }

        if (Replayed is null)
        {
            return (ReadServerState.Starting, "has not replayed any WAL yet");
        }

        if (lag.Time > maxLag)
        {
            return (ReadServerState.Lagging, string.Create(
                CultureInfo.InvariantCulture,
                $"{lag.Time.TotalSeconds:0.0} s ({lag.Bytes:N0} bytes) behind the primary, more than Widgetify:Database:Replicas:MaxLag ({maxLag.TotalSeconds:0.###} s)"));
        }

        return (ReadServerState.Ready, null);
    }
}
