using Npgsql;
using Widgetify.PoolReview.Applied;

namespace Widgetify.PoolReview.Tests.Applied;

/// <summary>The table on a real PostgreSQL, a database of its own per test.</summary>
[Collection(PoolHistoryDatabaseGroup.Name)]
public sealed class AppliedSettingsTableTests(PoolHistoryDatabase cluster)
{
    private static readonly DateTimeOffset Planned = new(2026, 2, 15, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ReadInEffectAsync_TwoChangesOfTheSameSetting_TheNewestIsInEffect()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var table = new AppliedSettingsTable(database.DataSource);
        await table.RecordAsync([Change(from: 1000, to: 27)], CancellationToken.None);
        await table.RecordAsync([Change(from: 27, to: 9)], CancellationToken.None);
        await table.RecordAsync([Change(from: 50, to: 20) with { Server = "standby-1" }], CancellationToken.None);

        // Act
        var inEffect = await table.ReadInEffectAsync(CancellationToken.None);

        // Assert: one value per setting and server.
        inEffect.Select(s => (s.Server, s.From, s.To)).ShouldBe([("primary", (int?)27, 9), ("standby-1", (int?)50, 20)], ignoreOrder: true);
    }

    [Fact]
    public async Task RecordAsync_Change_StoredWithTheDatabaseClockAndReturnedAsStored()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var table = new AppliedSettingsTable(database.DataSource);

        // Act
        var stored = (await table.RecordAsync([Change(from: null, to: 7)], CancellationToken.None)).ShouldHaveSingleItem();

        // Assert
        var recordedAt = await database.ScalarAsync<DateTime>($"SELECT applied_at FROM {AppliedSettingsTable.Name}");
        stored.At.ShouldBe(new DateTimeOffset(recordedAt));
        stored.At.ShouldNotBe(Planned);
        stored.ShouldBe(Change(from: null, to: 7) with { At = stored.At });
    }

    [Fact]
    public async Task ReadRecentAsync_ThreeChanges_NewestFirstUpToTheLimit()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var table = new AppliedSettingsTable(database.DataSource);
        await table.RecordAsync([Change(from: 1000, to: 27)], CancellationToken.None);
        await table.RecordAsync([Change(from: 27, to: 9)], CancellationToken.None);
        await table.RecordAsync([Change(from: 9, to: 12)], CancellationToken.None);

        // Act
        var recent = await table.ReadRecentAsync(2, CancellationToken.None);

        // Assert
        recent.Select(s => s.To).ShouldBe([12, 9]);
    }

    [Fact]
    public async Task ReadRecentAsync_NothingRecorded_EmptyAndTheTableCreated()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var table = new AppliedSettingsTable(database.DataSource);

        // Act
        var recent = await table.ReadRecentAsync(10, CancellationToken.None);

        // Assert
        recent.ShouldBeEmpty();
        (await database.ScalarAsync<bool>($"SELECT to_regclass('{AppliedSettingsTable.Name}') IS NOT NULL")).ShouldBeTrue();
    }

    [Fact]
    public async Task RecordAsync_ToValueOfZero_RefusedByTheCheckAndNothingOfTheBatchRecorded()
    {
        // Arrange
        await using var database = await cluster.NewDatabaseAsync();
        var table = new AppliedSettingsTable(database.DataSource);

        // Act
        var error = await Should.ThrowAsync<PostgresException>(
            () => table.RecordAsync([Change(from: 1000, to: 27) with { Server = "standby-1" }, Change(from: 1000, to: 0)], CancellationToken.None));

        // Assert
        error.SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
        (await table.ReadRecentAsync(10, CancellationToken.None)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RecordAsync_TwoTablesCreatingAtOnce_NeitherFails()
    {
        // Arrange: a session creates the table and keeps its transaction open, so both creations below wait on the
        // catalog for it and find, once it commits, a name they could not see when they began: the race of two
        // instances started together, made certain.
        await using var database = await cluster.NewDatabaseAsync();
        var a = new AppliedSettingsTable(database.DataSource);
        var b = new AppliedSettingsTable(database.DataSource);
        await using var blocker = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var create = new NpgsqlCommand(
            $"CREATE TABLE {AppliedSettingsTable.Name} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, setting text NOT NULL, " +
            "server text NOT NULL, from_value integer, to_value integer NOT NULL CHECK (to_value >= 1), " +
            "applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), applied_by text NOT NULL, reason text NOT NULL)",
            blocker, transaction))
        {
            await create.ExecuteNonQueryAsync();
        }

        var both = Task.WhenAll(
            a.RecordAsync([Change(from: 1000, to: 27)], CancellationToken.None),
            b.RecordAsync([Change(from: 1000, to: 30) with { Server = "standby-1" }], CancellationToken.None));
        await BoundedWait.UntilAsync(
            async () => await database.ScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 2,
            () => "fewer than 2 waiting",
            "both creations wait for the open transaction");

        // Act
        await transaction.CommitAsync();
        await both;

        // Assert
        (await a.ReadInEffectAsync(CancellationToken.None)).Select(s => s.To).ShouldBe([27, 30], ignoreOrder: true);
    }

    private static AppliedSetting Change(int? from, int to) =>
        new(RunTimeSettings.MaxPoolSize, "primary", from, to, Planned, "ops@host-1", "The review recommended it.");
}
