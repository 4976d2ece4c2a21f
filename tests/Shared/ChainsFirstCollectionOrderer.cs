using Xunit.Abstractions;
using Xunit.Sdk;

namespace Widgetify.Testing;

/// <summary>Starts the named collections (<c>[CollectionDefinition]</c>: several classes over one shared fixture, run one
/// after another) before the collections of one class each. xUnit 2.9 runs at most <c>maxParallelThreads</c> collections at
/// once (one per core) and starts them in a hash order, so a long chain that started late ran alone at the end while the
/// other core idled: the longest-first rule of scheduling, with the chains as the long jobs. Within each group the order
/// stays xUnit's own. Named in a test assembly with
/// <c>[assembly: TestCollectionOrderer("Widgetify.Testing.ChainsFirstCollectionOrderer", "ASSEMBLY")]</c>.</summary>
public sealed class ChainsFirstCollectionOrderer : ITestCollectionOrderer
{
    private readonly DefaultTestCollectionOrderer _default = new();

    /// <inheritdoc/>
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        _default.OrderTestCollections(testCollections).OrderBy(collection => collection.CollectionDefinition is null ? 1 : 0);
}
