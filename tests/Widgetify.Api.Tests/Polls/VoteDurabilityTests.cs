using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Npgsql;
using Widgetify.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Widgetify.Api.Tests.Polls;

/// <summary>An acknowledged vote is never lost: the real service runs as a child process, visitors vote at once, and the
/// process is killed with SIGKILL (no shutdown, no last flush) while votes are still in flight. Every vote that had been
/// answered 303 must be in PostgreSQL.</summary>
public sealed class VoteDurabilityTests(ITestOutputHelper output)
{
    private const int Voters = 400;

    [Fact]
    public async Task Vote_ServiceKilledWithSigkillMidStorm_EveryAcknowledgedVoteIsInPostgres()
    {
        await using var postgres = await TestPostgres.StartAsync();
        Guid poll;
        await using (var setup = await WidgetifyServer.StartAsync(postgres))
        {
            using var tenant = await setup.CreateTenantAsync();
            poll = (await tenant.Http.CreateWidgetAsync("Drinks", "poll", new { question = "What do you drink?", options = (string[])["Tea", "Coffee"] })).Id;
        }

        var port = Widgetify.Postgres.FreePort.Pick();
        using var service = StartService(postgres, port, out var log);
        using var visitors = PollHttp.CreateVisitorClient(new Uri($"http://127.0.0.1:{port}"));
        await BoundedWait.UntilAsync(async () => await IsLiveAsync(visitors), () => log.ToString(), "the service answers", TimeSpan.FromSeconds(60));

        var acknowledged = new ConcurrentBag<string>();
        var killedAfter = -1;
        var answers = await Task.WhenAll(Enumerable.Range(0, Voters).Select(async i =>
        {
            var visitor = PollHttp.NewVisitor();
            try
            {
                using var response = await visitors.VoteAsync(poll, (i % 2).ToString(CultureInfo.InvariantCulture), cookie: visitor);
                if (response.StatusCode != HttpStatusCode.SeeOther)
                {
                    return response.StatusCode.ToString();
                }

                acknowledged.Add(visitor);
                if (acknowledged.Count >= Voters / 2 && Interlocked.CompareExchange(ref killedAfter, acknowledged.Count, -1) == -1)
                {
                    service.Kill(); // SIGKILL: nothing of the service runs after this
                }

                return "acknowledged";
            }
            catch (HttpRequestException)
            {
                return "connection lost";
            }
        }));

        await service.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var stored = await StoredVisitorsAsync(postgres.ConnectionString, poll);
        output.WriteLine($"killed after {killedAfter} acknowledgements; answers: " +
            string.Join(", ", answers.GroupBy(a => a).Select(g => $"{g.Key} {g.Count()}")) + $"; {stored.Count} votes stored");
        killedAfter.ShouldBeGreaterThan(0, "the service was killed during the storm");
        acknowledged.Where(v => !stored.Contains(v)).ShouldBeEmpty("every acknowledged vote was committed before its 303");
    }

    private static Process StartService(TestPostgres postgres, int port, out StringBuilder log)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Widgetify.Api.dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Widgetify__Database__ConnectionString"] = postgres.ConnectionString;
        start.Environment["Widgetify__Database__MigrationConnectionString"] = postgres.MigrationConnectionString;
        start.Environment["Widgetify__Polls__VotesPerMinutePerIp"] = "1000000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in ApiFixture.NeverShed)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log = output;
        return process;
    }

    private static async Task<bool> IsLiveAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/health/live");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<HashSet<string>> StoredVisitorsAsync(string connectionString, Guid poll)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT visitor FROM poll_votes WHERE widget_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = poll });
        var visitors = new HashSet<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            visitors.Add(reader.GetString(0));
        }

        return visitors;
    }
}
