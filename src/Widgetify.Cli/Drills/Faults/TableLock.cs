using Npgsql;

namespace Widgetify.Cli.Drills.Faults;

/// <summary><c>lock</c>: another session holds an ACCESS EXCLUSIVE lock on the widgets table for
/// <see cref="DrillFault.HeldFor"/> (a migration gone wrong, a forgotten transaction): every read and write of the
/// table queues behind it, past the deadlines. The service must answer 503 at its deadlines, not pile up connections
/// waiting on the lock, and recover as soon as the lock goes.</summary>
internal sealed class TableLock : DrillFault
{
    public override string Name => "lock";

    public override string Description => "an ACCESS EXCLUSIVE lock on the widgets table held for 10 s";

    public override TimeSpan Duration => HeldFor;

    public override async Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        var connection = await deployment.OpenAdministratorAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("LOCK TABLE widgets IN ACCESS EXCLUSIVE MODE", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new Held(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(NpgsqlConnection connection, NpgsqlTransaction transaction) : ActiveFault
    {
        public override async Task EndAsync() => await transaction.RollbackAsync();

        protected override async ValueTask PutBackAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
