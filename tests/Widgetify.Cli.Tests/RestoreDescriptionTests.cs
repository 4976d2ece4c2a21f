using Widgetify.Postgres.Backups;

namespace Widgetify.Cli.Tests;

/// <summary>What `restore` says it restored: a target past the end of the WAL it could read is not promised as "the state
/// at that time" (a restore into a new folder has no unarchived pg_wal, so the last commits before the target may be missing).</summary>
public sealed class RestoreDescriptionTests
{
    private static readonly DateTimeOffset Target = new(2026, 12, 7, 12, 8, 55, TimeSpan.Zero);
    private static readonly DateTimeOffset LastCommit = new(2026, 12, 7, 12, 8, 49, 217, TimeSpan.Zero);

    private static RestoreResult Result(bool reachedTarget, DateTimeOffset? target) => new(
        new BackupManifest("20261207T120000Z", LastCommit.AddMinutes(-9), LastCommit.AddMinutes(-8), "0/2000028", "0/2000100", 1, "000000010000000000000002", "15", 1),
        target, reachedTarget, LastCommit, 2, null, TimeSpan.FromSeconds(3));

    [Fact]
    public void Describe_WalEndsBeforeTheTarget_SaysWhereItEndsAndThatLaterCommitsWereNotRestored()
    {
        var text = RestoreCommand.Describe(Result(reachedTarget: false, Target), "/srv/widgetify");

        text.ShouldContain("to 2026-12-07 12:08:55.000Z; the WAL it could read ends before that time");
        text.ShouldContain("anything committed after that was not restored");
        text.ShouldContain("last replayed transaction  2026-12-07 12:08:49.217Z");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Describe_TargetReachedOrLatest_NoCaveat(bool reachedTarget, bool withTarget)
    {
        var text = RestoreCommand.Describe(Result(reachedTarget, withTarget ? Target : null), "/srv/widgetify");

        text.ShouldNotContain("ends before that time");
    }

    [Fact]
    public void Describe_Restored_NextStepStartsTheServiceOnTheRestoredFolder()
    {
        // './widgetify up' alone starts an empty deployment in ./.widgetify when the restore was of another folder
        var text = RestoreCommand.Describe(Result(reachedTarget: true, Target), "/srv/widgetify");

        text.ShouldContain("Start the service with './widgetify up --data-dir /srv/widgetify'");
    }
}
