using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>deploy/kubernetes rendered with <c>kubectl kustomize</c>: the CloudNativePG Cluster archives its WAL into the
/// ObjectStore, which has a retention policy, and a ScheduledBackup backs that Cluster up through the same plugin.</summary>
public sealed partial class CloudNativePgManifestsTests
{
    private const string Plugin = "barman-cloud.cloudnative-pg.io";

    [Fact]
    public async Task Render_Kustomization_ClusterArchivesIntoAnObjectStoreWithRetention()
    {
        var resources = await RenderAsync();

        var cluster = Single(resources, "Cluster");
        var store = Single(resources, "ObjectStore");
        var plugin = cluster.GetProperty("spec").GetProperty("plugins").EnumerateArray().ShouldHaveSingleItem();
        plugin.GetProperty("name").GetString().ShouldBe(Plugin);
        plugin.GetProperty("isWALArchiver").GetBoolean().ShouldBeTrue();
        plugin.GetProperty("parameters").GetProperty("barmanObjectName").GetString().ShouldBe(Name(store));
        (store.GetProperty("spec").GetProperty("retentionPolicy").GetString() ?? "").ShouldMatch(RetentionPolicy().ToString());
        store.GetProperty("spec").GetProperty("configuration").GetProperty("destinationPath").GetString().ShouldStartWith("s3://");
        cluster.GetProperty("spec").GetProperty("postgresql").GetProperty("parameters").GetProperty("archive_timeout").GetString()
            .ShouldBe("60s", "the embedded cluster's RPO (docs/operations.md)");
    }

    [Fact]
    public async Task Render_Kustomization_ScheduledBackupBacksUpTheClusterThroughThePlugin()
    {
        var resources = await RenderAsync();

        var cluster = Single(resources, "Cluster");
        var spec = Single(resources, "ScheduledBackup").GetProperty("spec");
        spec.GetProperty("cluster").GetProperty("name").GetString().ShouldBe(Name(cluster));
        spec.GetProperty("method").GetString().ShouldBe("plugin");
        spec.GetProperty("pluginConfiguration").GetProperty("name").GetString().ShouldBe(Plugin);
        // CloudNativePG schedules have six fields, seconds first (robfig/cron), unlike crontab's five.
        spec.GetProperty("schedule").GetString()!.Split(' ').Length.ShouldBe(6);
    }

    private static JsonElement Single(IReadOnlyList<JsonElement> resources, string kind) =>
        resources.Where(r => r.GetProperty("kind").GetString() == kind).ShouldHaveSingleItem($"one {kind}");

    private static string? Name(JsonElement resource) => resource.GetProperty("metadata").GetProperty("name").GetString();

    /// <summary>The manifests as kustomize renders them, as JSON (kubectl has no JSON output for kustomize; python3's YAML
    /// reader converts them).</summary>
    private static async Task<IReadOnlyList<JsonElement>> RenderAsync()
    {
        var render = new ProcessStartInfo("kubectl") { ArgumentList = { "kustomize", Repository.PathOf("deploy/kubernetes") } };
        ProcessOutcome rendered;
        try
        {
            rendered = await ChildProcess.RunAsync(render, null, TimeSpan.FromMinutes(1));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("kubectl is not on PATH, so the kustomization cannot be rendered: install kubectl (it includes kustomize).", ex);
        }

        rendered.ExitCode.ShouldBe(0, rendered.Stderr);
        var convert = new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))" },
        };
        var converted = await ChildProcess.RunAsync(convert, rendered.Stdout, TimeSpan.FromMinutes(1));
        converted.ExitCode.ShouldBe(0, converted.Stderr);
        using var document = JsonDocument.Parse(converted.Stdout);
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Barman's recovery window: a number and d, w or m.</summary>
    [GeneratedRegex("^[1-9][0-9]*[dwm]$")]
    private static partial Regex RetentionPolicy();
}
