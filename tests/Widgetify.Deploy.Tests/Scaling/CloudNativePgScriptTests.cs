namespace Widgetify.Deploy.Tests.Scaling;

/// <summary>deploy/scaling/cloudnativepg.sh against a fake kubectl that records its arguments.</summary>
public sealed class CloudNativePgScriptTests : IDisposable
{
    private static readonly Dictionary<string, string> Settings = new() { ["CNPG_CLUSTER"] = "pg", ["CNPG_NAMESPACE"] = "shop" };

    private readonly FakeCommands fakes = new();

    private static string Script => Repository.PathOf("deploy/scaling/cloudnativepg.sh");

    public void Dispose() => fakes.Dispose();

    private static string Action(string direction, int current, int desired) =>
        $$"""{"version":1,"direction":"{{direction}}","currentReplicas":{{current}},"desiredReplicas":{{desired}},"minReplicas":1,"maxReplicas":4,"reason":"test","at":"2025-03-01T12:00:05+00:00","attempt":1,"signals":null}""";

    private void Kubectl(string instances, params FakeAnswer[] more) => fakes.Add(
        "kubectl", [.. more, new FakeAnswer("get cluster pg", instances), new FakeAnswer("get service pg-ro", "5432")]);

    [Fact]
    public async Task ScaleOut_PatchesInstancesToDesiredPlusThePrimaryAndReportsTheReadOnlyService()
    {
        // Arrange: one standby and the primary
        Kubectl(instances: "2");

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls().ShouldBe(
        [
            ["kubectl", "--namespace", "shop", "get", "cluster", "pg", "-o", "jsonpath={.spec.instances}"],
            ["kubectl", "--namespace", "shop", "patch", "cluster", "pg", "--type", "merge", "-p", """{"spec":{"instances":3}}"""],
            ["kubectl", "--namespace", "shop", "wait", "cluster/pg", "--for=jsonpath={.status.readyInstances}=3", "--timeout=10m"],
            ["kubectl", "--namespace", "shop", "get", "service", "pg-ro", "-o", "jsonpath={.spec.ports[0].port}"],
        ]);
        run.Stdout.Trim().ShouldBe(
            """{"replicas":2,"endpoints":[{"name":"pg-ro","connectionString":"Host=pg-ro.shop.svc;Port=5432;Database=app;Username=app"}]}""");
    }

    [Fact]
    public async Task ScaleIn_PatchesInstancesDownAndWaitsForThatMany()
    {
        // Arrange: three standbys and the primary
        Kubectl(instances: "4");

        // Act
        var run = await fakes.RunAsync(Script, Action("in", 3, 2), Settings);

        // Assert
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls()[1].ShouldBe(["kubectl", "--namespace", "shop", "patch", "cluster", "pg", "--type", "merge", "-p", """{"spec":{"instances":3}}"""]);
        fakes.Calls()[2].ShouldContain("--for=jsonpath={.status.readyInstances}=3");
        run.Stdout.ShouldContain("\"replicas\":2");
    }

    [Fact]
    public async Task ScaleOut_ClusterAlreadyLarger_RemovesNothingAndReportsTheRealCount()
    {
        // Arrange: Widgetify counted 1 standby, the cluster has 4 (someone scaled it by hand)
        Kubectl(instances: "5");

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert: an "out" never shrinks the cluster
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls().ShouldNotContain(call => call.Contains("patch"));
        run.Stdout.ShouldContain("\"replicas\":4");
    }

    [Fact]
    public async Task Replace_PatchesLikeAScaleOut()
    {
        // Arrange
        Kubectl(instances: "2");

        // Act
        var run = await fakes.RunAsync(Script, Action("replace", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls()[1].ShouldContain("""{"spec":{"instances":3}}""");
    }

    [Fact]
    public async Task PatchFails_ExitsNonZeroWithKubectlsWordsAndPrintsNoEndpoint()
    {
        // Arrange
        Kubectl("2", new FakeAnswer("patch", ExitCode: 1, Stderr: "Error from server (Forbidden): clusters.postgresql.cnpg.io \"pg\" is forbidden"));

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldNotBe(0);
        run.Stderr.ShouldContain("is forbidden");
        run.Stdout.ShouldBeEmpty();
        fakes.Calls().ShouldNotContain(call => call.Contains("wait"));
    }

    [Fact]
    public async Task WaitTimesOut_ExitsNonZero()
    {
        // Arrange
        Kubectl("2", new FakeAnswer("wait", ExitCode: 1, Stderr: "error: timed out waiting for the condition on clusters/pg"));

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldNotBe(0);
        run.Stderr.ShouldContain("timed out waiting");
        run.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task NoClusterConfigured_ExitsNonZeroNamingTheVariable()
    {
        // Arrange
        Kubectl("2");

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2));

        // Assert
        run.ExitCode.ShouldNotBe(0);
        run.Stderr.ShouldContain("CNPG_CLUSTER");
        fakes.Calls().ShouldBeEmpty();
    }
}
