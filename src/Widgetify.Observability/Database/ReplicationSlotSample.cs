namespace Widgetify.Observability.Database;

/// <summary>One replication slot on the server, as <c>pg_replication_slots</c> shows it: how much WAL it makes the server
/// keep, which is unbounded for a slot whose standby is gone unless <c>max_slot_wal_keep_size</c> bounds it.</summary>
/// <param name="Name">The slot's <c>slot_name</c>.</param>
/// <param name="Active">Whether a WAL sender (a standby, a <c>pg_basebackup</c>) uses it now. An inactive slot's
/// retained WAL only grows.</param>
/// <param name="WalStatus"><c>reserved</c>, <c>extended</c>, <c>unreserved</c> (lost at the next checkpoint unless it
/// catches up) or <c>lost</c> (invalidated: its standby can never catch up); null for a slot that has never reserved WAL.</param>
/// <param name="RetainedBytes">WAL kept for it, <c>pg_current_wal_lsn() - restart_lsn</c>; 0 when it keeps none (no
/// <c>restart_lsn</c>: never used, or lost).</param>
/// <param name="SafeWalSize">WAL that can still be written before it is lost (<c>safe_wal_size</c>; negative once it
/// is unreserved); null when <c>max_slot_wal_keep_size</c> is unlimited or the slot is already lost.</param>
public sealed record ReplicationSlotSample(string Name, bool Active, string? WalStatus, long RetainedBytes, long? SafeWalSize);
