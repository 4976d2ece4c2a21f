using System.Runtime.Versioning;

namespace Widgetify.Postgres.Tests;

[UnsupportedOSPlatform("windows")]
public sealed class RunningServerTests
{
    [Fact]
    public async Task Find_RunningCluster_GivesItsPostmasterAndASuperuserConnection()
    {
        // Arrange
        await using var directory = new TempClusterDirectory();
        await using var cluster = await PostgresCluster.StartAsync(directory.Options());

        // Act
        var server = RunningServer.Find(directory.Path);

        // Assert
        server.ShouldNotBeNull();
        server.Port.ShouldBe(cluster.Port);
        server.PostmasterPid.ShouldBe(PostmasterPidFile.TryRead(directory.PostmasterPidFile)!.Pid);
        (await Sql.ScalarAsync(server.AdminConnectionString, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user")).ShouldBe("true");
        server.ToString().ShouldNotContain("Password", Case.Insensitive);
    }

    [Fact]
    public async Task Find_StoppedCluster_IsNull()
    {
        // Arrange
        await using var directory = new TempClusterDirectory();
        await using (await PostgresCluster.StartAsync(directory.Options()))
        {
        }

        // Act
        var server = RunningServer.Find(directory.Path);

        // Assert
        server.ShouldBeNull();
    }

    [Fact]
    public async Task Find_StalePidFileOfAGoneServer_IsNull()
    {
        // Arrange: credentials and a pid file that names a pid nobody has.
        await using var directory = new TempClusterDirectory();
        Directory.CreateDirectory(directory.PgData);
        await File.WriteAllTextAsync(directory.PostmasterPidFile, $"999999\n{directory.PgData}\n0\n5999\n");
        await File.WriteAllTextAsync(directory.CredentialsFile, """{"adminPassword":"a","appPassword":"b"}""");

        // Act
        var server = RunningServer.Find(directory.Path);

        // Assert
        server.ShouldBeNull();
    }
}
