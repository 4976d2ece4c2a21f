namespace Widgetify.PoolReview.History;

/// <summary>The pool history of a time range: its minutes and a summary of each server's.</summary>
/// <param name="Since">The first minute included.</param>
/// <param name="Until">The end of the range, excluded.</param>
/// <param name="Minutes">Every instance's minutes on every server read, oldest first.</param>
/// <param name="Servers">One summary per server, in name order.</param>
public sealed record PoolHistoryRange(
    DateTimeOffset Since, DateTimeOffset Until, IReadOnlyList<PoolMinute> Minutes, IReadOnlyList<ServerHistorySummary> Servers);
