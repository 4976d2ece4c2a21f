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
        DeleteWhileInUse(deployment.PrimaryPgData);
        return Task.FromResult(ActiveFault.Over);
    }

    /// <summary>Deletes a data directory whose server still runs: PostgreSQL goes on creating and unlinking files (WAL
    /// segments, relations being rewritten) while the tree is walked, so one pass can fail on a file that vanished
    /// between listing and unlinking, or on a folder a new file made non-empty; and <c>up</c>'s supervisor may rename
    /// the remains away meanwhile. Passes are repeated until nothing is left.</summary>
    private static void DeleteWhileInUse(string path)
    {
        for (var pass = 1; ; pass++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (IOException) when (pass < 50)
            {
                // Something changed under the walk: walk again (each pass removes what it found).
            }
        }
    }
}
