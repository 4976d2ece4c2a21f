using System.Net;
using System.Net.Sockets;
using Npgsql;
using Widgetify.Core.Database;

namespace Widgetify.Core.Tests.Database;

public sealed class DatabaseUnavailableTests
{
    [Fact]
    public async Task Is_NothingListensOnThePort_TrueWithTheConnectionError()
    {
        // Arrange: a port that was free a moment ago, as a stopped server's is.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=x;Password=x;Timeout=2;Pooling=false");
        var thrown = await Should.ThrowAsync<NpgsqlException>(() => connection.OpenAsync());

        // Act
        var unavailable = DatabaseUnavailable.Is(thrown, out var reason);

        // Assert
        unavailable.ShouldBeTrue();
        reason.ShouldNotBeNull().ShouldStartWith($"Failed to connect to 127.0.0.1:{port}: ");
        reason.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData("57P01", "terminating connection due to administrator command")]
    [InlineData("57P03", "the database system is starting up")]
    [InlineData("53300", "sorry, too many clients already")]
    [InlineData("53100", "could not extend file: No space left on device")]
    [InlineData("08006", "connection failure")]
    public void Is_ServerSaysItCannotTakeWork_TrueWithSqlStateAndMessage(string sqlState, string message)
    {
        // Act
        var unavailable = DatabaseUnavailable.Is(new PostgresException(message, "FATAL", "FATAL", sqlState), out var reason);

        // Assert
        unavailable.ShouldBeTrue();
        reason.ShouldBe($"{sqlState}: {message}");
    }

    [Theory]
    [InlineData("42P01", "relation \"widgetify_incidents\" does not exist")]
    [InlineData("42501", "permission denied for table widgetify_incidents")]
    [InlineData("23505", "duplicate key value violates unique constraint")]
    public void Is_ServerRejectsTheStatement_FalseSoTheStackTraceIsLogged(string sqlState, string message)
    {
        // Act
        var unavailable = DatabaseUnavailable.Is(new PostgresException(message, "ERROR", "ERROR", sqlState), out var reason);

        // Assert
        unavailable.ShouldBeFalse();
        reason.ShouldBeNull();
    }

    [Fact]
    public void Is_NotADatabaseFailure_False()
    {
        // Act
        var unavailable = DatabaseUnavailable.Is(new InvalidOperationException("a bug"), out var reason);

        // Assert
        unavailable.ShouldBeFalse();
        reason.ShouldBeNull();
    }
}
