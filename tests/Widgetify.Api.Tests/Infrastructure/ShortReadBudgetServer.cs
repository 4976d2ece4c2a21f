namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A dedicated server whose reads get 500 ms and whose commands 300 s, for tests that a database that does not
/// answer (a table another connection holds locked) is answered at the read deadline: a wait that only the command
/// timeout ends outlives the client's patience, so such a test cannot pass by the command timeout.</summary>
public abstract class ShortReadBudgetServer : IAsyncLifetime
{
    private DedicatedServer? _dedicated;

    protected WidgetifyServer Server => _dedicated!.Server;

    /// <summary>Where to take a lock that makes the service's statements on a table wait.</summary>
    protected string MigrationConnectionString => _dedicated!.Postgres.MigrationConnectionString;

    public async Task InitializeAsync() => _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Widgetify:Admission:ReadTimeout"] = "00:00:00.500",
        ["Widgetify:Database:CommandTimeoutSeconds"] = "300",
    });

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }
    }
}
