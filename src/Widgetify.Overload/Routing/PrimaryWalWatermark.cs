using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Widgetify.Overload.Routing;

/// <summary>How a consistency token stands against the primary's WAL.</summary>
public enum TokenStanding
{
    /// <summary>The primary has reached the token's position: it names a write that happened.</summary>
    Reached,

    /// <summary>Past the primary's position, read from the primary after the token arrived: no write of this database
    /// produced it (forged, from another deployment, or from before a restore to an earlier point).</summary>
    Beyond,

    /// <summary>The primary could not be asked in time: the token is taken as it is, as before this check.</summary>
    Unknown,
}

/// <summary>The highest WAL position this instance knows the primary has reached, to tell a consistency token a write
/// gave from one nobody's write could have given. A token is a WAL position, and whoever sends one that is past the
/// primary makes every read wait for a standby that can never catch up and read past the embed cache, on every request:
/// a forged token is a cheap way to turn cached embeds into database reads. Tokens at or below the watermark cost
/// nothing; one above it (a write made through another instance since this one last looked) waits for a read of the
/// primary's position that starts after the token arrived (one read at a time, concurrent tokens share it, at most one
/// per <c>minimumInterval</c>), so a write that really happened is always found; one further past the last read than
/// <see cref="MaxWalBytesPerSecond"/> allows is refused without a wait. Only a token more than
/// <see cref="CrashMargin"/> past the primary is refused: a token is the insert position after a commit, which can include
/// WAL other sessions had reserved, and a primary that crashed and recovered may restart a little below it. A primary that
/// cannot be asked within the read's bound leaves tokens as they are (<see cref="TokenStanding.Unknown"/>), and for
/// <see cref="UnreadablePause"/> after that failure tokens are not held waiting for it again. Thread-safe.</summary>
public sealed partial class PrimaryWalWatermark
{
    /// <summary>More WAL per second than any primary this service runs on writes (a bulk load on fast storage writes a
    /// few hundred MB/s): a token further past the last position read than this rate allows since that read is refused
    /// at once, without waiting for another read. 1 GiB/s, plus one second's worth for the read's own age.</summary>
    public const ulong MaxWalBytesPerSecond = 1UL << 30;

    /// <summary>How far past the primary's position a token may be and still be taken (as <see cref="TokenStanding.Unknown"/>)
    /// rather than refused: one WAL segment, far more than the WAL other sessions can have reserved and not written when a
    /// primary crashes.</summary>
    public const ulong CrashMargin = 16UL << 20;

    /// <summary>After a read of the position failed or timed out, how long tokens above the watermark are taken as they are
    /// without waiting for another: a primary that does not answer must not hold every token's read on top of its own.</summary>
    public static readonly TimeSpan UnreadablePause = TimeSpan.FromSeconds(1);

    private readonly Func<CancellationToken, Task<NpgsqlLogSequenceNumber>> readPrimaryPosition;
    private readonly TimeSpan timeout;
    private readonly TimeSpan minimumInterval;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private ulong known;
    private Task<NpgsqlLogSequenceNumber?>? running;
    private Task<NpgsqlLogSequenceNumber?>? queued;
    private long lastStarted;
    private long reads;
    private long unreadableUntil;
    private Sample? latest;

    /// <param name="readPrimaryPosition">Reads <c>pg_current_wal_insert_lsn()</c> on the primary.</param>
    /// <param name="timeout">The most one read of the position may take; past it the token is <see cref="TokenStanding.Unknown"/>.</param>
    /// <param name="minimumInterval">The least time between the starts of two reads, so a flood of tokens above the
    /// watermark costs the primary a bounded number of reads per second.</param>
    /// <param name="timeProvider">Paces the reads and bounds them.</param>
    /// <param name="logger">Says when the primary could not be asked.</param>
    public PrimaryWalWatermark(
        Func<CancellationToken, Task<NpgsqlLogSequenceNumber>> readPrimaryPosition, TimeSpan timeout, TimeSpan minimumInterval,
        TimeProvider timeProvider, ILogger<PrimaryWalWatermark> logger)
    {
        ArgumentNullException.ThrowIfNull(readPrimaryPosition);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumInterval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        this.readPrimaryPosition = readPrimaryPosition;
        this.timeout = timeout;
        this.minimumInterval = minimumInterval;
        this.timeProvider = timeProvider;
        this.logger = logger;
        lastStarted = timeProvider.GetTimestamp() - (long)(minimumInterval.TotalSeconds * timeProvider.TimestampFrequency) - 1;
    }

    /// <summary>The highest position known to be reached (0/0 before anything is known).</summary>
    public NpgsqlLogSequenceNumber Known => new(Volatile.Read(ref known));

    /// <summary>Reads of the primary's position started so far.</summary>
    public long Reads => Interlocked.Read(ref reads);

    /// <summary>Records a position the primary has reached (a write's token, a sample of the primary).</summary>
    public void Observe(NpgsqlLogSequenceNumber position)
    {
        var value = (ulong)position;
        var current = Volatile.Read(ref known);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref known, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Whether the primary has reached <paramref name="token"/>'s position; asks the primary when the
    /// watermark is below it.</summary>
    /// <param name="token">The client's token.</param>
    /// <param name="cancellationToken">The request's: stops waiting (the read of the position goes on for others).</param>
    public async ValueTask<TokenStanding> JudgeAsync(ConsistencyToken token, CancellationToken cancellationToken)
    {
        var position = (ulong)token.Position;
        if (position <= Volatile.Read(ref known))
        {
            return TokenStanding.Reached;
        }

        // One sample, read once: its position and when the read that got it began (the WAL was at most that position
        // then), so a read ending meanwhile cannot pair a new time with an old position.
        if (Volatile.Read(ref latest) is { } sample)
        {
            var seconds = timeProvider.GetElapsedTime(sample.StartedAt).TotalSeconds + 1;
            if (position > (double)sample.Position + CrashMargin + (seconds * MaxWalBytesPerSecond))
            {
                return TokenStanding.Beyond;
            }
        }

        if (timeProvider.GetTimestamp() < Interlocked.Read(ref unreadableUntil))
        {
            return TokenStanding.Unknown;
        }

        var primary = await NextRead().WaitAsync(cancellationToken);
        return primary is not { } read ? TokenStanding.Unknown
            : token.IsCoveredBy(read) ? TokenStanding.Reached
            : position > (ulong)read + CrashMargin ? TokenStanding.Beyond
            : TokenStanding.Unknown;
    }

    /// <summary>A read of the position that starts after this call: one already running may have read the position
    /// before the token's write committed, so the caller joins the one queued behind it.</summary>
    private Task<NpgsqlLogSequenceNumber?> NextRead()
    {
        lock (gate)
        {
            if (running is null || running.IsCompleted)
            {
                queued = null;
                return running = ReadAsync();
            }

            return queued ??= ReadAfterAsync(running);
        }
    }

    private async Task<NpgsqlLogSequenceNumber?> ReadAfterAsync(Task previous)
    {
        // Never inline: the caller holds the gate.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        Task<NpgsqlLogSequenceNumber?> mine;
        lock (gate)
        {
            mine = running = ReadAsync();
            queued = null;
        }

        return await mine;
    }

    private async Task<NpgsqlLogSequenceNumber?> ReadAsync()
    {
        // Never inline: the caller holds the gate.
        await Task.Yield();
        var wait = minimumInterval - timeProvider.GetElapsedTime(Interlocked.Read(ref lastStarted));
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, timeProvider);
        }

        var startedAt = timeProvider.GetTimestamp();
        Interlocked.Exchange(ref lastStarted, startedAt);
        Interlocked.Increment(ref reads);

        using var bound = new CancellationTokenSource(timeout, timeProvider);
        try
        {
            // The bound on the wait as well as on the command: a cancelled command can still wait for the server to take
            // the cancellation (Npgsql's CancellationTimeout), and a frozen server never does.
            var position = await readPrimaryPosition(bound.Token).WaitAsync(timeout, timeProvider);
            Observe(position);
            Volatile.Write(ref latest, new Sample((ulong)position, startedAt));
            return position;
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException or NpgsqlException)
        {
            Interlocked.Exchange(ref unreadableUntil, timeProvider.GetTimestamp() + (long)(UnreadablePause.TotalSeconds * timeProvider.TimestampFrequency));
            LogPrimaryUnread(logger, exception.Message);
            return null;
        }
    }

    /// <summary>A position read from the primary and the timestamp at which the read began.</summary>
    private sealed record Sample(ulong Position, long StartedAt);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Could not read the primary's WAL position to judge a consistency token ({Reason}); the token is taken as it is")]
    private static partial void LogPrimaryUnread(ILogger logger, string reason);
}
