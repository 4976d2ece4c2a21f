using System.Text.Json;
using Npgsql;
using Npgsql.Replication;
using Widgetify.Postgres;
using Widgetify.Testing;

namespace Widgetify.Cli.Tests.Infrastructure;

/// <summary>The template the test clusters are copied from: each copy must be a cluster of its own, which a client of
/// another copy cannot log in to. Real servers.</summary>
public sealed class ClusterTemplateTests
{
    [Fact]
    public async Task CopyIntoAsync_TwoCopies_EachHasItsOwnPasswords_AndRefusesTheOthers()
    {
        // Arrange: two copies, both started.
        using var first = new TempDataDir();
        using var second = new TempDataDir();
        await ClusterTemplate.CopyIntoAsync(first.Path);
        await ClusterTemplate.CopyIntoAsync(second.Path);
        await using var one = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = first.Path, Durable = false });
        await using var other = await PostgresCluster.StartAsync(new PostgresClusterOptions { DataDirectory = second.Path, Durable = false });
        var (oneApp, oneReplication) = Passwords(first.Path);
        var (otherApp, otherReplication) = Passwords(second.Path);

        // Act: the first copy's runtime and replication logins, aimed at the second copy's server (a port taken over).
        var wrongApp = new NpgsqlConnectionStringBuilder(one.AppConnectionString) { Port = other.Port, Pooling = false }.ConnectionString;
        var app = await Should.ThrowAsync<PostgresException>(async () =>
        {
            await using var connection = new NpgsqlConnection(wrongApp);
            await connection.OpenAsync();
        });
        var replication = await Should.ThrowAsync<PostgresException>(() => IdentifySystemAsync(other.Port, oneReplication));

        // Assert: refused (28P01: password authentication failed), and each server takes its own file's passwords, the
        // replication role's included (the start sets both from the file, so a copy never keeps the template's).
        oneApp.ShouldNotBe(otherApp);
        oneReplication.ShouldNotBe(otherReplication);
        app.SqlState.ShouldBe(PostgresErrorCodes.InvalidPassword);
        replication.SqlState.ShouldBe(PostgresErrorCodes.InvalidPassword);
        await using (var own = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(other.AppConnectionString) { Pooling = false }.ConnectionString))
        {
            await own.OpenAsync();
        }

        (await IdentifySystemAsync(other.Port, otherReplication)).ShouldNotBeNullOrEmpty();
    }

    private static (string App, string Replication) Passwords(string root)
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "pg-credentials.json")));
        return (file.RootElement.GetProperty("appPassword").GetString()!, file.RootElement.GetProperty("replicationPassword").GetString()!);
    }

    /// <summary>Logs in as the replication role, as a standby streaming from the server does, and names the system.</summary>
    private static async Task<string> IdentifySystemAsync(int port, string password)
    {
        await using var connection = new PhysicalReplicationConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "widgetify_replication",
            Password = password,
        }.ConnectionString);
        await connection.Open();
        return (await connection.IdentifySystem()).SystemId;
    }
}
