using System.Globalization;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>The API's Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler, rendered from the base and
/// every overlay: probes on the paths and port the service really serves, a grace period that covers its whole drain,
/// and the other objects pointing at the Deployment's pods.</summary>
public sealed class ApiDeploymentManifestsTests
{
    /// <summary>The request deadlines admission control sets; the drain waits for in-flight requests up to these.</summary>
    private static readonly string[] Deadlines = ["Widgetify__Admission__ReadTimeout", "Widgetify__Admission__WriteTimeout"];

    public static TheoryData<string> Kustomizations => RenderedKustomization.All;

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Render_Kustomization_RendersEveryObjectOnce(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);

        string[] kinds = ["Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceAccount", "Role",
            "RoleBinding", "ConfigMap", "Cluster", "ObjectStore", "ScheduledBackup"];
        foreach (var kind in kinds)
        {
            rendered.Single(kind);
        }

        var api = new ApiContainer(rendered);
        api.Container.Text("image").ShouldNotBeNullOrWhiteSpace();
        api.Deployment.Find("spec", "replicas").ShouldBeNull("the HorizontalPodAutoscaler owns the count; a fixed one would be reset on every apply");
        api.Container.Text("resources", "requests", "cpu").ShouldNotBeNullOrWhiteSpace("the HPA's CPU utilisation is relative to the request");
        api.Container.Text("resources", "requests", "memory").ShouldNotBeNullOrWhiteSpace();
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Probes_Kustomization_ReadinessAndLivenessOnTheServicesHealthPathsAndPort(string directory)
    {
        var api = new ApiContainer(await RenderedKustomization.RenderAsync(directory));

        var served = ServiceSource.HealthPaths();
        served.ShouldContain("/health/serving");
        served.ShouldContain("/health/live");
        var listening = int.Parse(api.Setting("ASPNETCORE_HTTP_PORTS"), CultureInfo.InvariantCulture);
        api.Container.Text("readinessProbe", "httpGet", "path").ShouldBe(
            "/health/serving", "a database outage fails /health/ready in every pod at once, which would leave the Service no endpoint");
        api.Container.Text("livenessProbe", "httpGet", "path").ShouldBe("/health/live", "liveness must not touch the database");
        api.Container.Text("startupProbe", "httpGet", "path").ShouldBe("/health/live");
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
        {
            api.Port(api.Container.Text(probe, "httpGet", "port")).ShouldBe(listening, $"{probe} must reach the port Kestrel listens on");
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task TerminationGrace_Kustomization_CoversPreStopAndTheServicesWholeDrain(string directory)
    {
        var api = new ApiContainer(await RenderedKustomization.RenderAsync(directory));

        var grace = TimeSpan.FromSeconds(api.PodSpec.Number("terminationGracePeriodSeconds"));
        var preStop = TimeSpan.FromSeconds(api.Container.Number("lifecycle", "preStop", "sleep", "seconds"));
        var drainDelay = TimeSpan.Parse(api.Setting("Widgetify__Api__DrainDelay"), CultureInfo.InvariantCulture);
        var longestDeadline = Deadlines.Max(s => TimeSpan.Parse(api.Setting(s), CultureInfo.InvariantCulture));
        var shutdown = ServiceSource.ShutdownTimeout();

        drainDelay.ShouldBeGreaterThan(TimeSpan.Zero, "requests that still arrive after SIGTERM must be served, not refused");
        (drainDelay + ServiceSource.ConnectionGrace() + longestDeadline).ShouldBeLessThanOrEqualTo(shutdown,
            "the drain, the accepted connections' grace and the longest request deadline must fit in the host's ShutdownTimeout");
        grace.ShouldBeGreaterThanOrEqualTo(preStop + shutdown, "the kubelet's SIGKILL must not cut the service's own stop short");
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task DisruptionBudgetAndService_Kustomization_SelectTheDeploymentsPods(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var api = new ApiContainer(rendered);
        var podLabels = api.Deployment.Pairs("spec", "template", "metadata", "labels");

        var budget = rendered.Single("PodDisruptionBudget");
        var budgetSelector = budget.Pairs("spec", "selector", "matchLabels");
        budgetSelector.ShouldNotBeEmpty();
        budgetSelector.ShouldAllBe(label => podLabels.Contains(label));
        budget.Find("spec", "maxUnavailable").ShouldNotBeNull("maxUnavailable, so a single replica can still be drained off a node");
        budget.Number("spec", "maxUnavailable").ShouldBeGreaterThanOrEqualTo(1);

        var service = rendered.Single("Service");
        service.Pairs("spec", "selector").ShouldAllBe(label => podLabels.Contains(label));
        api.Deployment.Pairs("spec", "selector", "matchLabels").ShouldAllBe(label => podLabels.Contains(label));
        var port = service.Items("spec", "ports").ShouldHaveSingleItem();
        api.Port(port.Text("targetPort")).ShouldBe(int.Parse(api.Setting("ASPNETCORE_HTTP_PORTS"), CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task HorizontalPodAutoscaler_Kustomization_ScalesTheDeploymentOnCpu(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var deployment = rendered.Single("Deployment");

        var hpa = rendered.Single("HorizontalPodAutoscaler");
        hpa.Text("apiVersion").ShouldBe("autoscaling/v2");
        hpa.Text("spec", "scaleTargetRef", "apiVersion").ShouldBe("apps/v1");
        hpa.Text("spec", "scaleTargetRef", "kind").ShouldBe("Deployment");
        hpa.Text("spec", "scaleTargetRef", "name").ShouldBe(deployment.Name());
        hpa.Number("spec", "minReplicas").ShouldBeGreaterThanOrEqualTo(1);
        hpa.Number("spec", "maxReplicas").ShouldBeGreaterThanOrEqualTo(hpa.Number("spec", "minReplicas"));
        var metric = hpa.Items("spec", "metrics").ShouldHaveSingleItem();
        metric.Text("resource", "name").ShouldBe("cpu");
        metric.Number("resource", "target", "averageUtilization").ShouldBeInRange(1, 100);
    }
}
