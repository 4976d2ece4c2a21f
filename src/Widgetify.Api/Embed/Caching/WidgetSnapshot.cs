using NpgsqlTypes;
using Widgetify.Api.Data;
using Widgetify.Api.Polls;

namespace Widgetify.Api.Embed.Caching;

/// <summary>A widget as one database server had it at <paramref name="Position"/> (null: not found), with a poll's totals
/// (no visitor's choice).</summary>
/// <param name="Widget">The row; null when the server has no such widget.</param>
/// <param name="Tally">A poll's totals per option; null for other kinds.</param>
/// <param name="Position">The server's WAL position read just before the row: on the primary one byte below the write
/// position (<c>pg_current_wal_lsn() - 1</c>: a commit written at the write position may not be visible yet), on a standby
/// <c>pg_last_wal_replay_lsn()</c>. Every write whose consistency token is at or below it is in the row.</param>
internal sealed record WidgetSnapshot(Widget? Widget, PollTally? Tally, NpgsqlLogSequenceNumber Position);
