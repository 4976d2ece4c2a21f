using System.Text.RegularExpressions;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>deploy/kubernetes (the base and every overlay) rendered with <c>kubectl kustomize</c>: the CloudNativePG Cluster archives its WAL into the
/// ObjectStore, which has a retention policy, and a ScheduledBackup backs that Cluster up through the same plugin.</summary>
public sealed partial class CloudNativePgManifestsTests
{
    private const string Plugin = "barman-cloud.cloudnative-pg.io";

    public static TheoryData<string> Kustomizations => RenderedKustomization.All;

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Render_Kustomization_ClusterArchivesIntoAnObjectStoreWithRetention(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);

        var cluster = rendered.Single("Cluster");
        var store = rendered.Single("ObjectStore");
        var plugin = cluster.Items("spec", "plugins").ShouldHaveSingleItem();
        plugin.Text("name").ShouldBe(Plugin);
        plugin.Text("isWALArchiver").ShouldBe("true");
        plugin.Text("parameters", "barmanObjectName").ShouldBe(store.Name());
        store.Text("spec", "retentionPolicy").ShouldMatch(RetentionPolicy().ToString());
        store.Text("spec", "configuration", "destinationPath").ShouldStartWith("s3://");
        cluster.Text("spec", "postgresql", "parameters", "archive_timeout").ShouldBe("60s", "the embedded cluster's RPO (docs/operations.md)");
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Render_Kustomization_ScheduledBackupBacksUpTheClusterThroughThePlugin(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);

        var cluster = rendered.Single("Cluster");
        var backup = rendered.Single("ScheduledBackup");
        backup.Text("spec", "cluster", "name").ShouldBe(cluster.Name());
        backup.Text("spec", "method").ShouldBe("plugin");
        backup.Text("spec", "pluginConfiguration", "name").ShouldBe(Plugin);
        // CloudNativePG schedules have six fields, seconds first (robfig/cron), unlike crontab's five.
        backup.Text("spec", "schedule").Split(' ').Length.ShouldBe(6);
    }

    /// <summary>Barman's recovery window: a number and d, w or m.</summary>
    [GeneratedRegex("^[1-9][0-9]*[dwm]$")]
    private static partial Regex RetentionPolicy();
}
