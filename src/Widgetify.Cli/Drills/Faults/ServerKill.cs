using System.Diagnostics;
using System.Globalization;

namespace Widgetify.Cli.Drills.Faults;

/// <summary>kill -9 of a server's postmaster: the primary's (<c>db-kill</c>: <c>up</c>'s supervisor must bring it back
/// on its port) or the first standby's (<c>replica-kill</c>: writes must not notice).</summary>
internal sealed class ServerKill(bool standby) : DrillFault
{
    public override string Name => standby ? "replica-kill" : "db-kill";

    public override string Description => standby ? "kill -9 of a standby" : "kill -9 of the primary";

    public override int StandbysNeeded => standby ? 2 : 0;

    public override Task<ActiveFault> InjectAsync(DrillDeployment deployment, CancellationToken cancellationToken)
    {
        var pgData = standby ? deployment.StandbyPgDatas[0] : deployment.PrimaryPgData;
        var pid = int.Parse(File.ReadLines(Path.Combine(pgData, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        return Task.FromResult(ActiveFault.Over);
    }
}
