namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A fact that needs root, because it mounts a filesystem; reported as skipped, with the reason, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "Needs root: it mounts a small tmpfs and fills it (./widgetify test runs as root in CI).";
        }
    }
}
