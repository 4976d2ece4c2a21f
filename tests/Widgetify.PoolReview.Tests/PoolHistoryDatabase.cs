namespace Widgetify.PoolReview.Tests;

/// <summary>One real PostgreSQL for the history tests; each test takes a database of its own.</summary>
public sealed class PoolHistoryDatabase() : SharedPostgres(maxConnections: 30);

[CollectionDefinition(Name)]
public sealed class PoolHistoryDatabaseGroup : ICollectionFixture<PoolHistoryDatabase>
{
    public const string Name = "pool-history-database";
}
