using Npgsql;

namespace Widgetify.Cli.Drills.Faults;

/// <summary><c>db-slow</c>: for <see cref="DrillFault.HeldFor"/>, every write to the widgets table takes 6 s in the
/// database (a trigger that sleeps), past the 5 s write deadline: the service must answer 503 at its deadline, cancel
/// what it started, store nothing it did not acknowledge, and be fast again as soon as the database is.</summary>
internal sealed class SlowQueries : DrillFault
{
    private const string Create = """
        CREATE FUNCTION widgetify_drill_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(6); RETURN NEW; END $$;
        CREATE TRIGGER widgetify_drill_slow BEFORE INSERT OR UPDATE ON widgets FOR EACH ROW EXECUTE FUNCTION widgetify_drill_slow();
        """;

    private const string Drop = """
        DROP TRIGGER IF EXISTS widgetify_drill_slow ON widgets;
        DROP FUNCTION IF EXISTS widgetify_drill_slow();
        """;

    public override string Name => "db-slow";

    public override string Description => "every write takes 6 s in the database for 10 s";

    public override TimeSpan Duration => HeldFor;

    public override async Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        await deployment.ExecuteAsAdministratorAsync(Drop + Create, cancellationToken);
        return new Slowed(deployment);
    }

    private sealed class Slowed(DrillDeployment deployment) : ActiveFault
    {
        private bool ended;

        public override async Task EndAsync()
        {
            await deployment.ExecuteAsAdministratorAsync(Drop, CancellationToken.None);
            ended = true;
        }

        protected override async ValueTask PutBackAsync()
        {
            if (!ended)
            {
                try
                {
                    await EndAsync();
                }
                catch (NpgsqlException)
                {
                    // The drill is failing already; the trigger is named, so the next drill's injection drops it first.
                }
            }
        }
    }
}
