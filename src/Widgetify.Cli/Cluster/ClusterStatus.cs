using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Widgetify.Cli.Cluster;

/// <summary><c>widgetify cluster status</c>: each instance's state from its own <c>/health/ready</c> and its connection
/// share from the budget's lease table in PostgreSQL, each server, and HAProxy's view of the instances.</summary>
internal static class ClusterStatus
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(string dataDirectory, bool json, CancellationToken cancellationToken)
    {
        var (state, why) = ClusterState.TryRead(dataDirectory);
        if (state is null)
        {
            await Console.Error.WriteLineAsync($"widgetify: {why}.");
            return 3;
        }

        var report = await ReadAsync(dataDirectory, state, cancellationToken);
        Console.Write(json ? JsonSerializer.Serialize(report, Json) + Environment.NewLine : Table(report));
        return 0;
    }

    public static async Task<StatusReport> ReadAsync(string dataDirectory, ClusterState state, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var shares = await ReadSharesAsync(dataDirectory, state.ReservedForOtherClients ?? new Overload.PoolGovernance.ConnectionBudgetOptions().ReservedForOtherClients, cancellationToken);
        var instances = await Task.WhenAll(state.Instances.Select(async i => new InstanceStatus(
            i.Name,
            i.Pid,
            i.Port,
            i.Pid is { } pid && ClusterState.IsAlive(pid) ? await ReadinessAsync(http, i.Port, cancellationToken) : "stopped",
            shares.Shares is { } granted && granted.TryGetValue(ClusterInstances.ApplicationName(i.Name), out var share) ? share : null,
            i.Restarts)));
        var servers = ServersOf(state, shares.Standbys)
            .Select(s => new ServerStatus(s.Record.Name, s.Record.Role, PostmasterPid(s.Record.DataDirectory), s.Record.Port, Accepts(s.Record.Port) ? "running" : "down", s.Rotation))
            .ToList();

        IReadOnlyList<BalancedServer> backends = [];
        string balancerState;
        try
        {
            backends = await new HaproxyAdmin(state.BalancerSocket).ServersAsync(cancellationToken);
            balancerState = "running";
        }
        catch (SocketException)
        {
            balancerState = "down";
        }

        var balancer = new BalancerStatus(
            state.BalancerPid, state.Url, state.TlsUrl, balancerState, state.BalancerConfig,
            [.. backends.Select(b => new BackendStatus(b.Name, b.Status, b.CurrentSessions))]);
        return new StatusReport(instances, servers, balancer, shares.Budget, shares.Why);
    }

    private static async Task<string> ReadinessAsync(HttpClient http, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), cancellationToken);
            return response.IsSuccessStatusCode ? "ready" : "not-ready";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return "not-listening";
        }
    }

    /// <summary>The primary, then the standbys of the coordinator's registry with their rotation (serving, leaving): the
    /// autoscaler changes them while the fleet runs. cluster.json's own list when the registry cannot be read.</summary>
    private static IEnumerable<(ServerRecord Record, string? Rotation)> ServersOf(ClusterState state, IReadOnlyList<(string Name, int Port, string Rotation)>? registry)
    {
        if (registry is null || state.Servers.FirstOrDefault(s => s.Role == "primary") is not { } primary)
        {
            return state.Servers.Select(s => (s, (string?)null));
        }

        return [(primary, null), .. registry.Select(r => (new ServerRecord(
            r.Name, "standby", r.Port, primary.DataDirectory is { } root ? Path.Combine(root, "standbys", r.Name) : null), (string?)r.Rotation))];
    }

    /// <summary>Each live lease's granted connections by instance (application) name, the budget they share, and the
    /// registry of standbys (null when the fleet predates it), read as the runtime role; null with the reason when
    /// PostgreSQL cannot be reached.</summary>
    private static async Task<(Dictionary<string, int>? Shares, int? Budget, string? Why, IReadOnlyList<(string Name, int Port, string Rotation)>? Standbys)> ReadSharesAsync(
        string dataDirectory, int reservedForOtherClients, CancellationToken cancellationToken)
    {
        try
        {
            // Attach only: a status read must never start (and then stop) a PostgreSQL the fleet's supervisor is restarting.
            await using var database = await DatabaseTarget.OpenAsync(null, dataDirectory, NullLogger.Instance, cancellationToken, attachOnly: true);
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString)
            {
                ApplicationName = "widgetify-cluster-status",
                Pooling = false,
            }.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            var shares = new Dictionary<string, int>(StringComparer.Ordinal);
            // Leases are keyed by a per-process id: after a kill -9 and a restart an instance's name has the dead process's
            // lease (until it expires) and its new one. The newest renewal is the live process's.
            await using (var command = new NpgsqlCommand(
                "SELECT DISTINCT ON (instance_name) instance_name, granted FROM widgetify_pool_leases " +
                "WHERE expires_at > clock_timestamp() ORDER BY instance_name, renewed_at DESC", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    shares[reader.GetString(0)] = reader.GetInt32(1);
                }
            }

            var budget = await BudgetAsync(connection, reservedForOtherClients, cancellationToken);
            return (shares, budget, null, await ReadRegistryAsync(connection, cancellationToken));
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            return (null, null, $"connection shares unknown: {ex.Message}", null);
        }
    }

    private static async Task<IReadOnlyList<(string Name, int Port, string Rotation)>?> ReadRegistryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand($"SELECT name, port, state FROM {Autoscaling.StandbyRegistry.StandbysTable} ORDER BY name", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var standbys = new List<(string, int, string)>();
            while (await reader.ReadAsync(cancellationToken))
            {
                standbys.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
            }

            return standbys;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null; // a fleet started before the registry: cluster.json's list
        }
    }

    /// <summary>What the instances share: max_connections less the reserved slots and Widgetify:ConnectionBudget's
    /// ReservedForOtherClients as the instances read it at their start (recorded by 'cluster up'), as the pool governor
    /// computes it. A reserve changed later at run time ('review --apply') is not reflected.</summary>
    private static async Task<int> BudgetAsync(NpgsqlConnection connection, int reservedForOtherClients, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int " +
            "- coalesce(current_setting('reserved_connections', true)::int, 0)", connection);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))! - reservedForOtherClients;
    }

    /// <summary>The postmaster's pid: the first line of postmaster.pid in PGDATA (the folder itself, or its pg/).</summary>
    private static int? PostmasterPid(string? dataDirectory)
    {
        foreach (var file in dataDirectory is null ? [] : (string[])[Path.Combine(dataDirectory, "postmaster.pid"), Path.Combine(dataDirectory, "pg", "postmaster.pid")])
        {
            try
            {
                return int.TryParse(File.ReadLines(file).FirstOrDefault(), out var pid) && ClusterState.IsAlive(pid) ? pid : null;
            }
            catch (IOException)
            {
                // not this layout, or the server is stopped
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }

        return null;
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Table(StatusReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"INSTANCE",-10} {"PID",-8} {"PORT",-6} {"STATE",-14} {"SHARE",-6} {"BALANCER",-10} RESTARTS");
        foreach (var i in report.Instances)
        {
            var backend = report.Balancer.Servers.FirstOrDefault(b => b.Name == i.Name)?.Status ?? "-";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{i.Name,-10} {i.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",-8} {i.Port,-6} {i.State,-14} {i.BudgetShare?.ToString(CultureInfo.InvariantCulture) ?? "-",-6} {backend,-10} {i.Restarts}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"connection budget {report.Budget?.ToString(CultureInfo.InvariantCulture) ?? "?"}{(report.SharesUnknown is { } why ? $" ({why})" : "")}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"SERVER",-14} {"ROLE",-8} {"PID",-8} {"PORT",-6} {"STATE",-8} ROTATION");
        foreach (var s in report.Servers)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{s.Name,-14} {s.Role,-8} {s.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",-8} {s.Port,-6} {s.State,-8} {s.Rotation ?? "-"}");
        }

        text.AppendLine();
        var b = report.Balancer;
        text.AppendLine(CultureInfo.InvariantCulture, $"balancer  HAProxy pid {b.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-"}, {b.State}, {b.Url} and {b.TlsUrl}, configuration {b.Config}");
        return text.ToString();
    }
}

internal sealed record StatusReport(
    IReadOnlyList<InstanceStatus> Instances, IReadOnlyList<ServerStatus> Servers, BalancerStatus Balancer, int? Budget, string? SharesUnknown);

internal sealed record InstanceStatus(string Name, int? Pid, int Port, string State, int? BudgetShare, int Restarts);

/// <summary>One PostgreSQL server; <c>rotation</c> is a standby's place in the coordinator's registry: <c>serving</c>
/// (every instance reads from it) or <c>leaving</c> (being drained before the autoscaler's scale-in stops it); null for the
/// primary.</summary>
internal sealed record ServerStatus(string Name, string Role, int? Pid, int Port, string State, string? Rotation);

internal sealed record BalancerStatus(int? Pid, string Url, string TlsUrl, string State, string Config, IReadOnlyList<BackendStatus> Servers);

internal sealed record BackendStatus(string Name, string Status, int CurrentSessions);
