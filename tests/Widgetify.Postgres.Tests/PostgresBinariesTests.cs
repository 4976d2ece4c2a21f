namespace Widgetify.Postgres.Tests;

public sealed class PostgresBinariesTests
{
    [Fact]
    public async Task StartAsync_ClusterOfUninstalledMajorVersion_FailsNamingPgUpgrade()
    {
        await using var directory = new TempClusterDirectory();
        // What an apt upgrade leaves: a cluster made by a version whose server programs are gone (none installs 11 here).
        Directory.CreateDirectory(directory.PgData);
        await File.WriteAllTextAsync(Path.Combine(directory.PgData, "PG_VERSION"), "11\n");
        new ClusterCredentials("admin", "app").Save(directory.CredentialsFile);

        var failure = await Should.ThrowAsync<InvalidOperationException>(() => PostgresCluster.StartAsync(directory.Options()));

        failure.Message.ShouldContain("created by PostgreSQL 11");
        failure.Message.ShouldContain("pg_upgrade");
        failure.Message.ShouldContain("docs/operations.md");
        failure.Message.ShouldContain("apt-get install postgresql-11");
    }

    [Fact]
    public async Task ResolveAsync_ExistingCluster_UsesTheVersionThatCreatedIt()
    {
        await using var directory = new TempClusterDirectory();
        await using (await PostgresCluster.StartAsync(directory.Options()))
        {
        }

        var version = await File.ReadAllTextAsync(Path.Combine(directory.PgData, "PG_VERSION"));
        var binaries = await PostgresBinaries.ResolveAsync(null, new ClusterLayout(directory.Path), CancellationToken.None);

        binaries.BinDirectory.ShouldBe($"/usr/lib/postgresql/{version.Trim()}/bin");
    }
}
