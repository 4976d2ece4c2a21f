using System.Diagnostics;

namespace Widgetify.Bench.Scale;

/// <summary>What a read of a widget gave back: the status and the version in its ETag (null without one).</summary>
internal readonly record struct ReadBack(int Status, int? Version);

/// <summary>One pause of a standby's replay: when it began and ended, and when the samples first showed the standby out
/// of rotation (lagging) during it, if they did.</summary>
internal sealed record ReplayPause(DateTimeOffset PausedAt, DateTimeOffset ResumedAt, DateTimeOffset? LeftRotationAt)
{
    public double? SecondsToLeaveRotation => ScaleOutResult.Seconds(PausedAt, LeftRotationAt);

    public bool Holds(DateTimeOffset at) => at >= PausedAt && at < ResumedAt;

    /// <summary>Paused, and still in rotation as far as the samples tell (until they show it lagging, or to the end).</summary>
    public bool InRotation(DateTimeOffset at) => Holds(at) && at < (LeftRotationAt ?? ResumedAt);

    /// <summary>The pause as the samples saw it: the first sample in it that shows <paramref name="standby"/> no longer ready.</summary>
    public static ReplayPause From(IReadOnlyList<ScalingSample> samples, ScalingServer standby, DateTimeOffset pausedAt, DateTimeOffset resumedAt)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var left = samples.FirstOrDefault(s => s.At >= pausedAt && s.At <= resumedAt
            && s.Status.Standbys.FirstOrDefault(standby.IsSameServer) is not { State: "ready" });
        return new ReplayPause(pausedAt, resumedAt, left?.At);
    }
}

/// <summary>
/// The stale-reads phase's bookkeeping, filled concurrently by its workers. A <em>pair</em> is a write followed by a read
/// of the same widget that sends the write's <c>Widgetify-Consistency</c> token back: it must see that write (a 200 with
/// the written version or a later one); a 200 with an older version, or a 404, is a miss. A <em>tokenless</em> read of a
/// widget just written may legitimately be stale; its staleness is how long after the write was acknowledged the read
/// was sent, and the largest one is what the router's lag limit bounds.
/// </summary>
internal sealed class ConsistencyLedger
{
    private readonly Lock gate = new();
    private readonly List<(DateTimeOffset ReadAt, PairOutcome Outcome)> pairs = [];
    private long writeFailures;
    private long tokenlessReads;
    private long staleReads;
    private long tokenlessFailures;
    private double maxStaleness;

    private enum PairOutcome
    {
        Seen,
        Missed,
        Shed,
        Failed,
    }

    public int Pairs
    {
        get
        {
            lock (gate)
            {
                return pairs.Count;
            }
        }
    }

    /// <summary>A write that did not succeed (no version, no token): no read follows it.</summary>
    public void RecordWriteFailure() => Interlocked.Increment(ref writeFailures);

    public void RecordPair(DateTimeOffset writtenAt, DateTimeOffset readAt, int writtenVersion, ReadBack read)
    {
        Debug.Assert(readAt >= writtenAt, "A read of a write is sent after the write was acknowledged.");
        var outcome = read.Status switch
        {
            200 when read.Version >= writtenVersion => PairOutcome.Seen,
            200 or 404 => PairOutcome.Missed,
            503 => PairOutcome.Shed,
            _ => PairOutcome.Failed,
        };
        lock (gate)
        {
            pairs.Add((readAt, outcome));
        }
    }

    /// <summary>Records a read without the token; true when it saw the write (the watcher can move on).</summary>
    public bool RecordTokenlessRead(DateTimeOffset writtenAt, DateTimeOffset readAt, int writtenVersion, ReadBack read)
    {
        Debug.Assert(readAt >= writtenAt, "A read of a write is sent after the write was acknowledged.");
        Interlocked.Increment(ref tokenlessReads);
        if (read.Status != 200 || read.Version is not { } version)
        {
            Interlocked.Increment(ref tokenlessFailures);
            return false;
        }

        if (version >= writtenVersion)
        {
            return true;
        }

        Interlocked.Increment(ref staleReads);
        var staleness = (readAt - writtenAt).TotalSeconds;
        lock (gate)
        {
            maxStaleness = Math.Max(maxStaleness, staleness);
        }

        return false;
    }

    /// <summary>The totals, with the pairs read during <paramref name="pauses"/> counted apart.</summary>
    public ConsistencyResult Result(IReadOnlyList<ReplayPause> pauses, string standby)
    {
        ArgumentNullException.ThrowIfNull(pauses);
        lock (gate)
        {
            var paused = pairs.Where(p => pauses.Any(w => w.Holds(p.ReadAt))).ToList();
            return new ConsistencyResult
            {
                Standby = standby,
                Pairs = pairs.Count,
                Seen = pairs.Count(p => p.Outcome == PairOutcome.Seen),
                Missed = pairs.Count(p => p.Outcome == PairOutcome.Missed),
                Shed = pairs.Count(p => p.Outcome == PairOutcome.Shed),
                Failed = pairs.Count(p => p.Outcome == PairOutcome.Failed),
                PairsWhilePaused = paused.Count,
                PairsWhilePausedInRotation = pairs.Count(p => pauses.Any(w => w.InRotation(p.ReadAt))),
                MissedWhilePaused = paused.Count(p => p.Outcome == PairOutcome.Missed),
                WriteFailures = Interlocked.Read(ref writeFailures),
                TokenlessReads = Interlocked.Read(ref tokenlessReads),
                StaleReads = Interlocked.Read(ref staleReads),
                TokenlessFailures = Interlocked.Read(ref tokenlessFailures),
                MaxStalenessSeconds = maxStaleness,
                Pauses = pauses,
            };
        }
    }
}

/// <summary>The stale-reads phase's figures.</summary>
internal sealed record ConsistencyResult
{
    /// <summary>The standby whose replay was paused.</summary>
    public required string Standby { get; init; }

    public required int Pairs { get; init; }

    public required int Seen { get; init; }

    /// <summary>Pairs whose read did not see its own write: the goal is none.</summary>
    public required int Missed { get; init; }

    /// <summary>Pairs whose read was shed (503): not a miss, not a sighting.</summary>
    public required int Shed { get; init; }

    /// <summary>Pairs whose read failed otherwise (another status, a timeout, a connection error).</summary>
    public required int Failed { get; init; }

    public required int PairsWhilePaused { get; init; }

    /// <summary>Pairs read while replay was paused and the standby still in rotation: the reads the token protects.</summary>
    public required int PairsWhilePausedInRotation { get; init; }

    public required int MissedWhilePaused { get; init; }

    public required long WriteFailures { get; init; }

    public required long TokenlessReads { get; init; }

    /// <summary>Tokenless reads that returned a version older than a write already acknowledged.</summary>
    public required long StaleReads { get; init; }

    public required long TokenlessFailures { get; init; }

    /// <summary>The largest time from a write's acknowledgement to the sending of a tokenless read that still returned
    /// the version before it.</summary>
    public required double MaxStalenessSeconds { get; init; }

    public required IReadOnlyList<ReplayPause> Pauses { get; init; }
}
