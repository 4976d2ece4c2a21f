using System.CommandLine;
using Microsoft.Extensions.Logging;
using Npgsql;
using Widgetify.Incidents;
using Widgetify.Incidents.Persistence;
using Widgetify.Incidents.Postmortems;

namespace Widgetify.Cli;

/// <summary><c>widgetify postmortem latest|ID [--output FILE|DIR]</c>: writes the postmortem draft of an incident
/// (Markdown and its SVG chart) from the database, whether or not the service wrote one when it resolved.</summary>
internal static class PostmortemCommand
{
    public static Command Create()
    {
        var incident = new Argument<string>("incident") { Description = "'latest', an incident id, or its first 8 or more hex digits." };
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var output = new Option<string?>("--output")
        {
            Description = "A .md file to write (the chart goes next to it as .svg) or a folder; default <data-dir>/postmortems/.",
        };
        var command = new Command("postmortem", "Write the postmortem draft of an incident: Markdown plus an SVG chart.") { incident, dataDir, databaseUrl, output };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(incident)!, parse.GetValue(dataDir)!, parse.GetValue(databaseUrl), parse.GetValue(output), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string idOrLatest, string dataDir, string? databaseUrl, string? output, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        await using var database = await DatabaseTarget.OpenAsync(databaseUrl, dataDir, loggerFactory.CreateLogger("widgetify"), cancellationToken, existingOnly: true);
        // A one-off client like psql: one connection, outside the service's budget.
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = "widgetify-postmortem", MaxPoolSize = 1 }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new IncidentStore(dataSource);
        await database.CreateAsOwnerAsync((owner, token) => new IncidentStore(owner).EnsureSchemaAsync(token), cancellationToken);
        await store.EnsureSchemaAsync(cancellationToken);

        Incident? incident;
        if (string.Equals(idOrLatest, "latest", StringComparison.OrdinalIgnoreCase))
        {
            if (await store.ListAsync(1, cancellationToken) is [var newest, ..])
            {
                incident = newest;
            }
            else
            {
                await Console.Error.WriteLineAsync(
                    $"widgetify: no incident is recorded in {database.Describe()}: the service opens one when an alert fires " +
                    "(docs/monitoring.md), and GET /api/alerts with an operator key shows what is firing now.");
                return 1;
            }
        }
        else
        {
            try
            {
                incident = await store.FindAsync(idOrLatest, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"widgetify: {ex.Message.Split(" (Parameter", 2)[0]}");
                return 1;
            }

            if (incident is null)
            {
                await Console.Error.WriteLineAsync($"widgetify: no incident '{idOrLatest}' in {database.Describe()}; './widgetify postmortem latest' takes the newest.");
                return 1;
            }
        }

        var report = await store.LoadReportAsync(incident.Id, cancellationToken)
            ?? throw new InvalidOperationException($"Incident {incident.Id} disappeared while it was read.");
        var (directory, baseName) = Target(output, dataDir, incident);
        var draft = PostmortemWriter.Write(report, baseName);
        Directory.CreateDirectory(directory);
        var markdownPath = Path.GetFullPath(Path.Combine(directory, draft.FileName));
        var chartPath = Path.GetFullPath(Path.Combine(directory, draft.ChartFileName));
        if (await NotThisIncidentsDraftAsync(markdownPath, chartPath, incident, cancellationToken) is { } taken)
        {
            await Console.Error.WriteLineAsync(
                $"widgetify: {taken} already exists and is not a draft of incident {incident.Id}, so it is left as it is: " +
                "choose another --output (a new .md file, or a folder), or move that file away first.");
            return 1;
        }

        await File.WriteAllTextAsync(markdownPath, draft.Markdown, cancellationToken);
        await File.WriteAllTextAsync(chartPath, draft.ChartSvg, cancellationToken);

        var state = incident.ResolvedAt is null ? "open, still in progress" : $"resolved after {Minutes(incident.TimeToResolve)}";
        Console.WriteLine(markdownPath);
        Console.WriteLine($"{incident.Id}: {incident.Title}");
        Console.WriteLine($"  {incident.Status} ({state}); detected {Minutes(incident.TimeToDetect)} after the impact started by {incident.DetectedBy}.");
        Console.WriteLine($"  Impact: {PostmortemWriter.DescribeImpact(incident.Impact)}.");
        return 0;
    }

    /// <summary>The file the draft would overwrite that is no earlier draft of this incident (--output names any .md, such as a
    /// README), or null. A draft says its incident's id in its first lines; its chart is overwritten with it.</summary>
    private static async Task<string?> NotThisIncidentsDraftAsync(string markdownPath, string chartPath, Incident incident, CancellationToken cancellationToken)
    {
        if (File.Exists(markdownPath))
        {
            return PostmortemWriter.IsDraftOf(await File.ReadAllTextAsync(markdownPath, cancellationToken), incident.Id) ? null : markdownPath;
        }

        return File.Exists(chartPath) ? chartPath : null;
    }

    /// <summary>--output as a .md file names the draft; as anything else it is the folder.</summary>
    private static (string Directory, string BaseName) Target(string? output, string dataDir, Incident incident)
    {
        if (string.IsNullOrWhiteSpace(output))
        {
            return (Path.Combine(dataDir, "postmortems"), PostmortemWriter.DefaultBaseName(incident));
        }

        if (output.EndsWith(".md", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(output))
        {
            var full = Path.GetFullPath(output);
            return (Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full));
        }

        return (output, PostmortemWriter.DefaultBaseName(incident));
    }

    private static string Minutes(TimeSpan? duration) => duration is { } d
        ? d.TotalMinutes >= 1 ? $"{(int)d.TotalMinutes} min {d.Seconds} s" : $"{d.TotalSeconds:0} s"
        : "n/a";
}
