using System.Globalization;
using Widgetify.Postgres;

namespace Widgetify.Cli.Drills.Faults;

/// <summary>The primary lost for good, all at once, as a machine or disk that dies would be: its server frozen (the
/// postmaster and every backend and WAL sender stopped with SIGSTOP, so nothing more is written or streamed), its data
/// directory deleted, then every one of its processes killed with -9. A standby must take its place within 30 s.
/// Freezing first is what makes the asynchronous loss bound visible: a primary whose files are merely deleted streams
/// what it still has open until it is killed, and its standbys miss nothing.</summary>
internal sealed class PrimaryLost : DrillFault
{
    public override string Name => "primary-lost";

    public override string Description => "the primary's server frozen, its data directory deleted, then killed";

    public override int StandbysNeeded => 2;

    public override TimeSpan RecoveryGoal => TimeSpan.FromSeconds(30);

    public override async Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        var postmaster = File.ReadLines(Path.Combine(deployment.PrimaryPgData, "postmaster.pid")).First().Trim();
        _ = int.Parse(postmaster, CultureInfo.InvariantCulture); // a pid, not something to pass to kill blindly

        // The postmaster first, so it forks nothing new; then its children (all direct: backends, WAL senders, the
        // checkpointer). pkill's exit status 1 means "none matched", which is fine.
        await SignalAsync("kill", ["-STOP", postmaster], cancellationToken);
        await SignalAsync("pkill", ["-STOP", "-P", postmaster], cancellationToken);
        Directory.Delete(deployment.PrimaryPgData, recursive: true); // nothing moves in it now
        await SignalAsync("pkill", ["-KILL", "-P", postmaster], cancellationToken);
        await SignalAsync("kill", ["-KILL", postmaster], cancellationToken);
        return ActiveFault.Over;
    }

    private static async Task SignalAsync(string command, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(command, arguments, workingDirectory: null, cancellationToken);
        if (result.ExitCode is not (0 or 1))
        {
            ProcessRunner.EnsureSuccess(result);
        }
    }
}
