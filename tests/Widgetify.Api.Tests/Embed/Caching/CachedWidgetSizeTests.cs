using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Widgetify.Api.Data;
using Widgetify.Api.Embed.Caching;
using Widgetify.Api.Polls;
using Xunit.Abstractions;

namespace Widgetify.Api.Tests.Embed.Caching;

/// <summary>What an entry really takes on the heap against <see cref="CachedWidget.Size"/>, the estimate the cache's size
/// limit counts: 10,000 entries of each kind in a <see cref="MemoryCache"/>, as the cache holds them. It prints the
/// figures (docs/benchmarks.md, "Rendered-widget cache"); it asserts nothing about them, as a measurement on a shared
/// machine would make a flaky test. Alone in its collection so that no other test allocates on the heap meanwhile.</summary>
[Collection(Name)]
public sealed class CachedWidgetSizeTests(ITestOutputHelper output)
{
    public const string Name = "Heap measurement";

    private const int Entries = 10_000;

    [Theory]
    [InlineData("counter", """{"label":"visitors","start":0}""")]
    [InlineData("banner", """{"text":"Spring sale: everything 20% off until Sunday","link":"https://shop.example/sale"}""")]
    [InlineData("clock", """{"timeZone":"Europe/Paris"}""")]
    [InlineData("poll", """{"question":"Tea or coffee?","options":["tea","coffee","neither"]}""")]
    public void Size_EntriesOfOneKind_HeapAgainstEstimatePrinted(string kind, string config)
    {
        var now = DateTimeOffset.UtcNow;
        using var cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = long.MaxValue });
        var keys = Enumerable.Range(0, Entries).Select(_ => Guid.CreateVersion7()).ToArray();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        long estimated = 0;
        foreach (var (id, i) in keys.Select((id, i) => (id, i)))
        {
            // As the reader builds it: a string per column, the config parsed into a document of its own.
            var widget = new Widget(id, Guid.CreateVersion7(), $"Widget {i:D6}", kind, JsonDocument.Parse(config).RootElement, now, now, 1, i);
            var tally = kind == PollConfig.Kind ? new PollTally(new Dictionary<int, long> { [0] = i, [1] = 2, [2] = 3 }, null) : null;
            var entry = CachedWidget.From(new WidgetSnapshot(widget, tally, default), 0, now)!;
            using (var cacheEntry = cache.CreateEntry(id))
            {
                cacheEntry.Value = entry;
                cacheEntry.Size = entry.Size;
            }

            estimated += entry.Size;
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(cache);
        GC.KeepAlive(keys);

        output.WriteLine(
            $"{kind}: heap {(after - before) / (double)Entries:N0} B per entry, estimated {estimated / (double)Entries:N0} B " +
            $"(heap/estimate {(after - before) / (double)estimated:0.00}), {Entries:N0} entries, cache count {cache.Count}");
    }
}

[CollectionDefinition(CachedWidgetSizeTests.Name, DisableParallelization = true)]
public sealed class HeapMeasurementGroup;
