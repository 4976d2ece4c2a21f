namespace Widgetify.Deploy.Tests.Scaling;

/// <summary>deploy/scaling/aurora.sh against a fake aws CLI that records its arguments.</summary>
public sealed class AuroraScriptTests : IDisposable
{
    private const string ReaderEndpoint = "shop.cluster-ro-abc123.eu-west-1.rds.amazonaws.com";
    private const string MembersQuery = "DBClusters[0].DBClusterMembers[?!IsClusterWriter].DBInstanceIdentifier";
    private const string EndpointQuery = "DBClusters[0].[ReaderEndpoint,Port]";

    private static readonly Dictionary<string, string> Settings = new() { ["AURORA_CLUSTER"] = "shop", ["AURORA_INSTANCE_CLASS"] = "db.r7g.large" };

    private readonly FakeCommands fakes = new();

    private static string Script => Repository.PathOf("deploy/scaling/aurora.sh");

    public void Dispose() => fakes.Dispose();

    private static string Action(string direction, int current, int desired) =>
        $$"""{"version":1,"direction":"{{direction}}","currentReplicas":{{current}},"desiredReplicas":{{desired}},"minReplicas":1,"maxReplicas":4,"reason":"test","at":"2025-03-01T12:00:05.123+00:00","attempt":1,"signals":null}""";

    private void Aws(string readers, params FakeAnswer[] more) => fakes.Add(
        "aws", [.. more, new FakeAnswer("DBClusterMembers", readers + "\n"), new FakeAnswer("ReaderEndpoint", ReaderEndpoint + "\t5432\n")]);

    [Fact]
    public async Task ScaleOut_CreatesAReaderNamedAfterTheActionWaitsAndReportsTheReaderEndpoint()
    {
        // Arrange
        Aws(readers: "shop-reader-a");

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls().ShouldBe(
        [
            ["aws", "rds", "describe-db-clusters", "--db-cluster-identifier", "shop", "--query", MembersQuery, "--output", "text"],
            ["aws", "rds", "create-db-instance", "--db-cluster-identifier", "shop", "--db-instance-identifier", "shop-reader-20250301120005-1",
                "--engine", "aurora-postgresql", "--db-instance-class", "db.r7g.large"],
            ["aws", "rds", "wait", "db-instance-available", "--db-instance-identifier", "shop-reader-20250301120005-1"],
            ["aws", "rds", "describe-db-clusters", "--db-cluster-identifier", "shop", "--query", EndpointQuery, "--output", "text"],
        ]);
        run.Stdout.Trim().ShouldBe(
            $$"""{"replicas":2,"endpoints":[{"name":"shop-reader","connectionString":"Host={{ReaderEndpoint}};Port=5432;Database=postgres;Username=postgres"}]}""");
    }

    [Fact]
    public async Task ReplaceTwo_CreatesBothBeforeWaitingForEither()
    {
        // Arrange: no reader left
        Aws(readers: "");

        // Act
        var run = await fakes.RunAsync(Script, Action("replace", 0, 2), Settings);

        // Assert: creating both first lets Aurora build them side by side
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls().Select(c => c[2] == "wait" ? "wait " + c[5] : c[2] == "create-db-instance" ? "create " + c[6] : c[2]).ShouldBe(
        [
            "describe-db-clusters",
            "create shop-reader-20250301120005-1",
            "create shop-reader-20250301120005-2",
            "wait shop-reader-20250301120005-1",
            "wait shop-reader-20250301120005-2",
            "describe-db-clusters",
        ]);
        run.Stdout.ShouldContain("\"replicas\":2");
    }

    [Fact]
    public async Task ScaleIn_DeletesTheNewestReaderAndWaitsUntilItIsGone()
    {
        // Arrange
        Aws("shop-reader-a\tshop-reader-b\tshop-reader-c", new FakeAnswer("describe-db-instances", "shop-reader-c\n"));

        // Act
        var run = await fakes.RunAsync(Script, Action("in", 3, 2), Settings);

        // Assert
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls().Skip(1).Take(3).ShouldBe(
        [
            ["aws", "rds", "describe-db-instances", "--filters", "Name=db-instance-id,Values=shop-reader-a,shop-reader-b,shop-reader-c",
                "--query", "reverse(sort_by(DBInstances, &InstanceCreateTime))[:1].DBInstanceIdentifier", "--output", "text"],
            ["aws", "rds", "delete-db-instance", "--db-instance-identifier", "shop-reader-c"],
            ["aws", "rds", "wait", "db-instance-deleted", "--db-instance-identifier", "shop-reader-c"],
        ]);
        run.Stdout.ShouldContain("\"replicas\":2");
    }

    [Fact]
    public async Task ScaleIn_FewerReadersThanWidgetifyThought_DeletesNothing()
    {
        // Arrange
        Aws(readers: "shop-reader-a");

        // Act
        var run = await fakes.RunAsync(Script, Action("in", 3, 2), Settings);

        // Assert: an "in" never adds, and here has nothing to remove
        run.ExitCode.ShouldBe(0, run.Stderr);
        fakes.Calls().ShouldNotContain(call => call.Contains("delete-db-instance") || call.Contains("create-db-instance"));
        run.Stdout.ShouldContain("\"replicas\":1");
    }

    [Fact]
    public async Task CreateFails_ExitsNonZeroWithTheCliError()
    {
        // Arrange
        Aws("shop-reader-a", new FakeAnswer("create-db-instance", ExitCode: 254,
            Stderr: "An error occurred (InstanceQuotaExceeded) when calling the CreateDBInstance operation"));

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldNotBe(0);
        run.Stderr.ShouldContain("InstanceQuotaExceeded");
        run.Stdout.ShouldBeEmpty();
        fakes.Calls().ShouldNotContain(call => call.Contains("wait"));
    }

    [Fact]
    public async Task DescribeFails_ExitsNonZeroNamingTheCluster()
    {
        // Arrange
        fakes.Add("aws", new FakeAnswer("describe-db-clusters", ExitCode: 255, Stderr: "Unable to locate credentials"));

        // Act
        var run = await fakes.RunAsync(Script, Action("out", 1, 2), Settings);

        // Assert
        run.ExitCode.ShouldNotBe(0);
        run.Stderr.ShouldContain("Unable to locate credentials");
        run.Stderr.ShouldContain("could not describe DB cluster shop");
    }
}
