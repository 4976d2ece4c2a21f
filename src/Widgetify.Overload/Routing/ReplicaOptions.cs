using System.ComponentModel.DataAnnotations;

namespace Widgetify.Overload.Routing;

/// <summary>Settings of read routing (configuration section <c>Widgetify:Database:Replicas</c>, beside the numbered
/// standbys <c>Widgetify:Database:Replicas:0:ConnectionString</c>, ...). docs/replicas.md explains each.</summary>
public sealed class ReplicaOptions
{
    /// <summary>A standby further behind than this leaves the rotation until it catches up. Judged from WAL positions
    /// (see <see cref="ReplicationLag"/>), so an idle system shows none and a frozen standby does.</summary>
    /// <value>Default 2 s; range 100 ms to 10 min.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every standby (and the primary's WAL position) is checked. A standby that stops answering
    /// leaves the rotation at the next check, so this plus <see cref="ProbeTimeout"/> bounds how long a dead standby
    /// is still chosen (the issue asks for under 3 s); reads that hit it meanwhile are retried elsewhere.</summary>
    /// <value>Default 500 ms; range 50 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a check may take before the standby counts as down.</summary>
    /// <value>Default 1 s; range 50 ms to 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a read carrying a <c>Widgetify-Consistency</c> token waits on a standby for the write to be
    /// replayed before it goes to the primary instead. Replay on a healthy standby takes milliseconds; waiting longer
    /// only delays a read the primary can serve.</summary>
    /// <value>Default 100 ms; range 0 to 5 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan TokenWait { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Connections of each standby kept for clients that are not Widgetify (as
    /// <c>ConnectionBudget:ReservedForOtherClients</c> does on the primary).</summary>
    /// <value>Default 3; range 0 to 10,000.</value>
    [Range(0, 10_000)]
    public int ReservedForOtherClients { get; set; } = 3;
}
