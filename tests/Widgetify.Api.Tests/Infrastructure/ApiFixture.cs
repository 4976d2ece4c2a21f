namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>One PostgreSQL cluster and one Widgetify server shared by the test classes of the "api" collection;
/// each test isolates itself by creating its own tenant.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    public TestPostgres Postgres => _dedicated?.Postgres ?? throw new InvalidOperationException("Fixture not started.");

    public WidgetifyServer Server => _dedicated?.Server ?? throw new InvalidOperationException("Fixture not started.");

    /// <summary>The functional tests check what the API answers, not overload protection (Overload/ and the tests that
    /// exercise it start servers of their own): a limit that no test's concurrency reaches (the connection share still
    /// caps it), queue waits and deadlines that a CPU-starved machine cannot exhaust, so admission never sheds a
    /// functional request. A shed made 50 concurrent embeds come back with 15 503s once. With the limit pinned (and
    /// CpuShed off, its default) the thread-pool lag probe changes nothing these servers decide, so it probes every
    /// 500 ms instead of every 10 ms: at 100 probes a second an idle server spent 4 % of a core on it alone (measured:
    /// 3.1 CPU-s in 30 idle seconds against 1.8 with 500 ms), and the test run keeps dozens of servers up.</summary>
    internal static readonly Dictionary<string, string?> NeverShed = new()
    {
        ["Widgetify:Admission:CpuLagProbeInterval"] = "00:00:00.500",
        ["Widgetify:Admission:InitialLimit"] = "1000",
        ["Widgetify:Admission:MinLimit"] = "1000",
        ["Widgetify:Admission:MaxLimit"] = "1000",
        ["Widgetify:Admission:QueueInterval"] = "00:00:10",
        ["Widgetify:Admission:QueueTargetDelay"] = "00:00:10",
        ["Widgetify:Admission:ReadTimeout"] = "00:01:00",
        ["Widgetify:Admission:WriteTimeout"] = "00:01:00",
    };

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: NeverShed);

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedApiServer : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
