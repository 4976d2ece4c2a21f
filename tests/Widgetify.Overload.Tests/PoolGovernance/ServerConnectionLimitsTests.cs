using Npgsql;
using Widgetify.Overload.PoolGovernance;

namespace Widgetify.Overload.Tests.PoolGovernance;

[Collection(PoolGovernanceDatabase.Name)]
public sealed class ServerConnectionLimitsTests(PoolGovernanceCluster cluster)
{
    [Fact]
    public async Task ReadAsync_LiveServer_ReturnsItsSettings()
    {
        // Arrange
        await using var connection = new NpgsqlConnection(cluster.AppConnectionString);
        await connection.OpenAsync();
        var version = await cluster.AdminScalarAsync<string>("SHOW server_version_num");
        var expectedReserved = int.Parse(version, System.Globalization.CultureInfo.InvariantCulture) >= 160000
            ? int.Parse(await cluster.AdminScalarAsync<string>("SHOW reserved_connections"), System.Globalization.CultureInfo.InvariantCulture)
            : 0;

        // Act
        var limits = await ServerConnectionLimits.ReadAsync(connection, null, CancellationToken.None);

        // Assert
        limits.ShouldBe(new ServerConnectionLimits(PoolGovernanceCluster.MaxConnections, 3, expectedReserved));
    }

    [Fact]
    public void BudgetFor_DefaultServer_SubtractsEveryReservation()
    {
        // Arrange
        var limits = new ServerConnectionLimits(100, 3, 2);

        // Act
        var budget = limits.BudgetFor(10);

        // Assert
        budget.ShouldBe(85);
    }

    [Fact]
    public void BudgetFor_ReservationsAboveMaxConnections_IsZeroNotNegative()
    {
        // Arrange
        var limits = new ServerConnectionLimits(20, 3, 0);

        // Act
        var budget = limits.BudgetFor(50);

        // Assert
        budget.ShouldBe(0);
    }
}
