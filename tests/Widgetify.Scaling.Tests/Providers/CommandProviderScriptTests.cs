using Microsoft.Extensions.Time.Testing;
using Widgetify.Scaling.Law;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Tests.Providers;

/// <summary>The command provider end to end with the shipped deploy/scaling scripts, their kubectl and aws faked.</summary>
public sealed class CommandProviderScriptTests : IDisposable
{
    private readonly FakeCommands fakes = new();

    public void Dispose() => fakes.Dispose();

    private CommandReplicaProvider Provider(string script, Dictionary<string, string> settings) => new(
        new ScalingCommandOptions { Path = fakes.Wrap(Repository.PathOf(script), settings) }, new FakeTimeProvider());

    [Fact]
    public async Task CloudNativePg_ScaleOut_SucceedsWithTheReadOnlyServiceAndTheCount()
    {
        // Arrange
        fakes.Add("kubectl", new FakeAnswer("get cluster", "2"), new FakeAnswer("get service", "5432"));
        var provider = Provider("deploy/scaling/cloudnativepg.sh", new() { ["CNPG_CLUSTER"] = "pg" });

        // Act
        var result = await provider.ApplyAsync(Actions.Out(1, 2), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeTrue(result.Message);
        result.Replicas.ShouldBe(2);
        result.Endpoints.ShouldBe([new ReadEndpoint("pg-ro", "Host=pg-ro.default.svc;Port=5432;Database=app;Username=app")]);
        fakes.Calls().ShouldContain(call => call.Contains("""{"spec":{"instances":3}}"""));
    }

    [Fact]
    public async Task CloudNativePg_KubectlFails_FailsWithItsError()
    {
        // Arrange
        fakes.Add("kubectl", new FakeAnswer("get cluster", ExitCode: 1, Stderr: "error: You must be logged in to the server (Unauthorized)"));
        var provider = Provider("deploy/scaling/cloudnativepg.sh", new() { ["CNPG_CLUSTER"] = "pg" });

        // Act
        var result = await provider.ApplyAsync(Actions.Out(1, 2), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("Unauthorized");
        result.Message.ShouldContain("could not read Cluster default/pg");
    }

    [Fact]
    public async Task Aurora_ScaleIn_SucceedsWithTheReaderEndpointAndTheCount()
    {
        // Arrange
        fakes.Add(
            "aws",
            new FakeAnswer("DBClusterMembers", "shop-r1\tshop-r2\n"),
            new FakeAnswer("describe-db-instances", "shop-r2\n"),
            new FakeAnswer("ReaderEndpoint", "shop.cluster-ro-x.rds.amazonaws.com\t5432\n"));
        var provider = Provider("deploy/scaling/aurora.sh", new() { ["AURORA_CLUSTER"] = "shop" });

        // Act
        var result = await provider.ApplyAsync(Actions.Of(ScalingDirection.In, 2, 1), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeTrue(result.Message);
        result.Replicas.ShouldBe(1);
        result.Endpoints.ShouldBe([new ReadEndpoint("shop-reader", "Host=shop.cluster-ro-x.rds.amazonaws.com;Port=5432;Database=postgres;Username=postgres")]);
        fakes.Calls().ShouldContain(call => call.SequenceEqual(new[] { "aws", "rds", "delete-db-instance", "--db-instance-identifier", "shop-r2" }));
    }

    [Fact]
    public async Task Aurora_CreateFails_FailsWithTheCliError()
    {
        // Arrange
        fakes.Add(
            "aws",
            new FakeAnswer("create-db-instance", ExitCode: 254, Stderr: "An error occurred (InsufficientDBInstanceCapacity)"),
            new FakeAnswer("DBClusterMembers", "shop-r1\n"));
        var provider = Provider("deploy/scaling/aurora.sh", new() { ["AURORA_CLUSTER"] = "shop" });

        // Act
        var result = await provider.ApplyAsync(Actions.Out(1, 2), CancellationToken.None);

        // Assert
        result.Succeeded.ShouldBeFalse();
        result.Message.ShouldContain("exited with code 254");
        result.Message.ShouldContain("InsufficientDBInstanceCapacity");
    }
}
