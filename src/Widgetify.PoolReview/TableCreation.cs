using Npgsql;

namespace Widgetify.PoolReview;

/// <summary>Creates a table the first time this process needs it, with <c>CREATE ... IF NOT EXISTS</c>, so the feature does
/// not depend on the service's migrations. Two instances starting together may race inside CREATE ... IF NOT EXISTS, and
/// the loser fails on the catalog although the table then exists: it tries once more, which finds it, instead of every
/// start taking a lock.</summary>
/// <param name="dataSource">Where the table lives.</param>
/// <param name="createSql">The <c>CREATE ... IF NOT EXISTS</c> statements.</param>
internal sealed class TableCreation(NpgsqlDataSource dataSource, string createSql)
{
    private volatile bool created;

    /// <summary>Creates the table unless this process already saw it.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (created)
        {
            return;
        }

        try
        {
            await CreateAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject)
        {
            await CreateAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // A runtime role with row privileges only: the schema's owner created the table with the migrations
            // (PoolReviewTables), and even CREATE ... IF NOT EXISTS needs CREATE on the schema.
        }

        created = true;
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(createSql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
