using Npgsql;
using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.History;

namespace Widgetify.PoolReview;

/// <summary>The pool review's tables, created by the role that owns the schema when the service runs its migrations: the
/// service's own role may then only read and write rows, and its first use finds them.</summary>
public static class PoolReviewTables
{
    /// <summary>Creates <c>widgetify_pool_minutes</c> and <c>widgetify_applied_settings</c> if missing.</summary>
    /// <param name="owner">The schema owner's connection.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task that completes when the tables exist.</returns>
    public static async Task CreateAsync(NpgsqlDataSource owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await new PoolHistorySchema(owner).EnsureCreatedAsync(cancellationToken);
        await new AppliedSettingsTable(owner).EnsureCreatedAsync(cancellationToken);
    }
}
