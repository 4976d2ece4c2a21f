using System.ComponentModel.DataAnnotations;

namespace Widgetify.Scaling.Providers;

/// <summary>The executable of the <see cref="ReplicaProviderKind.Command"/> provider (configuration section
/// <c>Widgetify:Scaling:Command</c>). It gets the action as JSON on standard input; docs/scaling.md has the contract.</summary>
public sealed class ScalingCommandOptions
{
    /// <summary>Path of the executable, such as <c>deploy/scaling/cloudnativepg.sh</c>. Required with the command provider.</summary>
    /// <value>Default null.</value>
    public string? Path { get; set; }

    /// <summary>Arguments passed to it, each as one argument (no shell splitting or quoting).</summary>
    /// <value>Default none.</value>
    public IList<string> Arguments { get; set; } = [];

    /// <summary>How long one attempt may run before it is killed and counts as failed. Generous: adding an Aurora reader
    /// takes around ten minutes, a CloudNativePG standby one or two.</summary>
    /// <value>Default 20 min; range 1 s to 2 h.</value>
    [Range(typeof(TimeSpan), "00:00:01", "02:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(20);
}
