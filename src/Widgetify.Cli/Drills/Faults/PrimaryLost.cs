namespace Widgetify.Cli.Drills.Faults;

/// <summary>The primary's data directory deleted under it: a standby must take its place within 30 s.</summary>
internal sealed class PrimaryLost : DrillFault
{
    public override string Name => "primary-lost";

    public override string Description => "the primary's data directory deleted";

    public override int StandbysNeeded => 2;

    public override TimeSpan RecoveryGoal => TimeSpan.FromSeconds(30);

    public override Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        // Lost for good: the files go, the postmaster may live on over deleted files until the supervisor sees it.
        Directory.Delete(deployment.PrimaryPgData, recursive: true);
        return Task.FromResult(ActiveFault.Over);
    }
}
