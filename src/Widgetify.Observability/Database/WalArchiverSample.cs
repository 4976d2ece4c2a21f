namespace Widgetify.Observability.Database;

/// <summary>PostgreSQL's WAL archiver at one moment (<c>pg_stat_archiver</c>), on a primary that archives.</summary>
/// <param name="ArchivedCount">Segments archived since the statistics were reset (cumulative).</param>
/// <param name="FailedCount">Failed attempts to archive (cumulative); the archiver retries the same segment.</param>
/// <param name="LastArchivedAt">When the last segment was archived; null when none was yet.</param>
/// <param name="LastFailedAt">When the last attempt failed; null when none did.</param>
/// <param name="LastFailedWal">The segment of the last failed attempt.</param>
public sealed record WalArchiverSample(long ArchivedCount, long FailedCount, DateTimeOffset? LastArchivedAt, DateTimeOffset? LastFailedAt, string? LastFailedWal)
{
    /// <summary>The last attempt failed and nothing was archived since: the archive falls behind (and pg_wal grows) until
    /// the cause is fixed. A failure followed by a success was a blip the retry absorbed.</summary>
    public bool Failing => LastFailedAt is { } failed && (LastArchivedAt is not { } archived || failed > archived);
}
