using System.Globalization;
using System.Text.RegularExpressions;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>Facts of the service that the manifests must agree with, read from its source (this test project does not
/// reference the service): the health paths and the stop's fixed durations. A change there fails these tests until the
/// manifests follow.</summary>
internal static partial class ServiceSource
{
    /// <summary>The paths <c>MapHealthApi</c> maps, in order.</summary>
    public static IReadOnlyList<string> HealthPaths() =>
        [.. HealthPath().Matches(Read("src/Widgetify.Api/Apis/HealthApi.cs")).Select(m => m.Groups[1].Value)];

    /// <summary>The host's whole stop (<c>HostOptions.ShutdownTimeout</c> in WidgetifyApplication.cs).</summary>
    public static TimeSpan ShutdownTimeout() => Seconds("src/Widgetify.Api/WidgetifyApplication.cs", ShutdownTimeoutSetting());

    /// <summary>What accepted connections get after the listener closed (<c>ShutdownDrain.ConnectionGrace</c>).</summary>
    public static TimeSpan ConnectionGrace() => Seconds("src/Widgetify.Api/Draining/ShutdownDrain.cs", ConnectionGraceField());

    private static TimeSpan Seconds(string file, Regex pattern)
    {
        var match = pattern.Match(Read(file));
        match.Success.ShouldBeTrue($"{file} no longer matches {pattern}: update ServiceSource to read it");
        return TimeSpan.FromSeconds(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private static string Read(string file) => File.ReadAllText(Repository.PathOf(file));

    [GeneratedRegex(@"MapHealthChecks\(""(/[^""]+)""")]
    private static partial Regex HealthPath();

    [GeneratedRegex(@"ShutdownTimeout = TimeSpan\.FromSeconds\((\d+)\)")]
    private static partial Regex ShutdownTimeoutSetting();

    [GeneratedRegex(@"ConnectionGrace = TimeSpan\.FromSeconds\((\d+)\)")]
    private static partial Regex ConnectionGraceField();
}
