using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>A standby as the router sees it when choosing where a read goes.</summary>
/// <param name="State">Its place in the rotation; only <see cref="ReadServerState.Ready"/> takes reads.</param>
/// <param name="InFlight">Reads it is serving for this instance now.</param>
/// <param name="Capacity">This instance's connection share of it (at least 1 for a ready server).</param>
/// <param name="Replayed">Its replay position as last seen.</param>
internal readonly record struct ReadCandidate(ReadServerState State, int InFlight, int Capacity, NpgsqlLogSequenceNumber Replayed);

/// <summary>Where one read goes.</summary>
/// <param name="Standby">Index of the chosen standby, or -1 for the primary.</param>
/// <param name="MustWait">True when the standby was not known to hold the read's token: it must be checked (and
/// briefly waited for) before the read runs there, else the read goes to the primary.</param>
internal readonly record struct ReadChoice(int Standby, bool MustWait)
{
    public static ReadChoice Primary => new(-1, false);

    public bool IsPrimary => Standby < 0;
}

/// <summary>The routing rule for reads, pure so that it can be read and tested in one place: the ready standby with
/// the most room (in-flight reads against its share of connections, so a server with a larger share takes more),
/// ties broken by rotation so equal servers take turns. A read with a consistency token prefers a standby already
/// known to have replayed it; failing that it takes the least loaded ready standby and waits for it there; with no
/// ready standby every read goes to the primary.</summary>
internal static class ReadRouting
{
    /// <param name="standbys">The standbys, in a stable order.</param>
    /// <param name="token">The read's consistency token, if it sent one.</param>
    /// <param name="rotation">A counter that advances per read, to break ties.</param>
    /// <returns>The choice.</returns>
    public static ReadChoice Choose(IReadOnlyList<ReadCandidate> standbys, ConsistencyToken? token, uint rotation)
    {
        var best = -1;
        var bestCovered = -1;
        for (var offset = 0; offset < standbys.Count; offset++)
        {
            var i = (int)((rotation + (uint)offset) % (uint)standbys.Count);
            var candidate = standbys[i];
            if (candidate.State != ReadServerState.Ready || candidate.Capacity <= 0)
            {
                continue;
            }

            if (best < 0 || IsLessLoaded(candidate, standbys[best]))
            {
                best = i;
            }

            if (token is { } t && t.IsCoveredBy(candidate.Replayed) && (bestCovered < 0 || IsLessLoaded(candidate, standbys[bestCovered])))
            {
                bestCovered = i;
            }
        }

        if (best < 0)
        {
            return ReadChoice.Primary;
        }

        if (token is null)
        {
            return new ReadChoice(best, MustWait: false);
        }

        return bestCovered >= 0 ? new ReadChoice(bestCovered, MustWait: false) : new ReadChoice(best, MustWait: true);
    }

    // InFlight/Capacity compared without division: a/b < c/d  <=>  a*d < c*b for positive b, d.
    private static bool IsLessLoaded(ReadCandidate a, ReadCandidate b) =>
        (long)a.InFlight * b.Capacity < (long)b.InFlight * a.Capacity;
}
