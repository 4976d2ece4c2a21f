using Npgsql;

namespace Widgetify.Cli.Drills.Faults;

/// <summary><c>conn-leak</c>: another client with the service's credentials opens connections until PostgreSQL refuses
/// one and holds them all for <see cref="DrillFault.HeldFor"/> (Feb 15's spike seen from outside: a leaking
/// deployment of the same app). The service must keep serving with the connections its pool holds or shed with 503,
/// never fail otherwise, and recover once they are released.</summary>
internal sealed class ConnectionLeak : DrillFault
{
    // Far above any max_connections the embedded server runs with; the server refuses long before.
    private const int AtMost = 2_000;

    public override string Name => "conn-leak";

    public override string Description => "another client takes every free PostgreSQL connection for 10 s";

    public override TimeSpan Duration => HeldFor;

    public override async Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await deployment.AppConnectionStringAsync(cancellationToken))
        {
            Pooling = false,
            ApplicationName = "widgetify-drill-leak",
        }.ConnectionString;
        var leaked = new List<NpgsqlConnection>();
        try
        {
            while (leaked.Count < AtMost)
            {
                var connection = new NpgsqlConnection(connectionString);
                try
                {
                    await connection.OpenAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.TooManyConnections)
                {
                    await connection.DisposeAsync();
                    break;
                }

                leaked.Add(connection);
            }
        }
        catch
        {
            await Leaked.CloseAsync(leaked);
            throw;
        }

        await Console.Error.WriteLineAsync($"widgetify drill: holding {leaked.Count} connection(s), until PostgreSQL refused another");
        return new Leaked(leaked);
    }

    private sealed class Leaked(List<NpgsqlConnection> connections) : ActiveFault
    {
        public static async Task CloseAsync(List<NpgsqlConnection> connections)
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            connections.Clear();
        }

        public override Task EndAsync() => CloseAsync(connections);

        protected override async ValueTask PutBackAsync() => await CloseAsync(connections);
    }
}
