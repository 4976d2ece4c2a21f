using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using System.Globalization;
using Widgetify.Api;
using Widgetify.Api.Review;
using Widgetify.PoolReview;
using Widgetify.PoolReview.Applied;
using Widgetify.PoolReview.Rules;

namespace Widgetify.Cli;

/// <summary><c>widgetify review [--config FILE] [--instances N] [--format table|json|markdown]</c>: reviews the pool
/// settings the service would run with against the live servers and the recorded history (issue 12). Exit code 0 when
/// nothing is critical, 2 when something is (a pipeline can refuse the configuration), 1 when the review could not run.</summary>
internal static class ReviewCommand
{
    /// <summary>The exit code of a review with a critical finding.</summary>
    public const int CriticalExitCode = 2;

    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var config = new Option<string?>("--config")
        {
            Description = "A JSON file in appsettings form (a 'Widgetify' section) to review; it overrides appsettings.json, Widgetify__* environment variables and applied settings.",
        };
        var instances = new Option<int?>("--instances")
        {
            Description = "Plan for N instances; default: the instances registered in the connection budget now (1 when none is).",
        };
        instances.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--instances must be at least 1.");
            }
        });
        var format = new Option<ReviewFormat>("--format") { Description = "table (default), json (the stable document) or markdown.", DefaultValueFactory = _ => ReviewFormat.Table };
        var apply = new Option<bool>("--apply")
        {
            Description = "Put the recommendations that are safe at run time into effect: stored in PostgreSQL (every instance picks them up) and, with --data-dir, in DIR/settings.reviewed.json; running instances adopt them without a restart.",
        };
        var command = new Command("review", "Review the connection pool settings against the live servers and the pools' history; exit 2 on a critical finding.")
        {
            dataDir, databaseUrl, config, instances, format, apply,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(apply) && r.GetValue(config) is not null)
            {
                r.AddError("--apply changes what the running deployment uses, so it reviews those settings: it cannot be combined with --config.");
            }
        });
        command.SetAction((parse, cancellationToken) => RunAsync(
            new Request(parse.GetValue(dataDir)!, parse.GetValue(databaseUrl), parse.GetValue(config), parse.GetValue(instances), parse.GetValue(format), parse.GetValue(apply)),
            cancellationToken));
        return command;
    }

    private sealed record Request(string DataDir, string? DatabaseUrl, string? ConfigFile, int? Instances, ReviewFormat Format, bool Apply);

    private static async Task<int> RunAsync(Request request, CancellationToken cancellationToken)
    {
        try
        {
            // The settings are judged before any server is started or reached.
            EnsureReadable(request.ConfigFile);
            PoolSettingsReview.Validate(BuildConfiguration(request.ConfigFile, [], settingsFile: null));
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            await using var database = await DatabaseTarget.OpenAsync(
                request.DatabaseUrl, request.DataDir, loggerFactory.CreateLogger("widgetify"), cancellationToken, existingOnly: true);
            await database.CreateAsOwnerAsync(PoolReviewTables.CreateAsync, cancellationToken);
            await using var control = OwnConnection(database.ConnectionString);
            var table = new AppliedSettingsTable(control);
            var settingsFile = database.Cluster is null ? null : Path.GetFullPath(Path.Combine(request.DataDir, ReviewedSettingsFile.FileName));
            var configuration = BuildConfiguration(
                request.ConfigFile, await ReadAppliedAsync(table.ReadInEffectAsync, database.ConnectionString, cancellationToken), settingsFile);
            var report = await PoolSettingsReview.RunAsync(configuration, database.ConnectionString, request.Instances, runTimeStandbys: null, TimeProvider.System, cancellationToken);
            if (!request.Apply)
            {
                Print(request.Format, report, await table.ReadRecentAsync(AppliedShown, cancellationToken), Console.Out);
                return report.HasCritical ? CriticalExitCode : 0;
            }

            var plan = RunTimeSettings.Plan(report, $"{Environment.UserName}@{Environment.MachineName} (widgetify review --apply)");
            var stored = plan.Changes.Count == 0 ? [] : await table.RecordAsync(plan.Changes, cancellationToken);
            if (settingsFile is not null && stored.Count > 0)
            {
                ReviewedSettingsFile.Write(settingsFile, await table.ReadInEffectAsync(cancellationToken));
            }

            // Judged again with the applied values in effect: the exit code says whether the deployment is fine now.
            var after = await PoolSettingsReview.RunAsync(
                BuildConfiguration(null, await table.ReadInEffectAsync(cancellationToken), settingsFile), database.ConnectionString, request.Instances,
                runTimeStandbys: null, TimeProvider.System, cancellationToken);
            var notes = request.Format == ReviewFormat.Json ? Console.Error : Console.Out;
            if (request.Format != ReviewFormat.Json)
            {
                Print(request.Format, report, [], Console.Out);
            }

            notes.Write(ReviewPrinter.Applied(stored, plan.NotApplied, settingsFile, after));
            if (request.Format == ReviewFormat.Json)
            {
                Print(request.Format, after, await table.ReadRecentAsync(AppliedShown, cancellationToken), Console.Out);
            }

            return after.HasCritical ? CriticalExitCode : 0;
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException)
        {
            await Console.Error.WriteLineAsync($"widgetify: the review could not run: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is ReviewUnavailableException or NpgsqlException or OptionsValidationException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"widgetify: the review could not run: {ex.Message}");
            return 1;
        }
    }

    private static void EnsureReadable(string? configFile)
    {
        if (string.IsNullOrWhiteSpace(configFile))
        {
            return;
        }

        var path = Path.GetFullPath(configFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--config {configFile} is unreadable: no such file ({path}).", path);
        }

        IConfigurationRoot read;
        try
        {
            read = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            throw new InvalidDataException($"--config {configFile} is unreadable: {ex.Message}", ex);
        }

        // A file of bare settings ({"Database": {...}}) would override nothing, and the review would judge the settings in
        // effect as if they were the file's.
        if (!read.GetSection(WidgetifyOptions.SectionName).GetChildren().Any())
        {
            throw new InvalidDataException(
                $"--config {configFile} has no '{WidgetifyOptions.SectionName}' section, so it would change nothing under review: put its settings " +
                $"under it, as appsettings.json does ({{\"{WidgetifyOptions.SectionName}\": {{\"Database\": {{\"MaxPoolSize\": 40}}}}}}).");
        }
    }

    /// <summary>The settings <c>--apply</c> stored, read on the review's own connection; the server that does not answer is
    /// named as the review names it.</summary>
    private static async Task<IReadOnlyList<AppliedSetting>> ReadAppliedAsync(
        Func<CancellationToken, Task<IReadOnlyList<AppliedSetting>>> read, string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            return await read(cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            var at = new NpgsqlConnectionStringBuilder(connectionString);
            throw new ReviewUnavailableException($"Could not read primary at {at.Host}:{at.Port}/{at.Database}: {ex.Message}", ex);
        }
    }

    /// <summary>How many applied changes the document lists, as the service's.</summary>
    private const int AppliedShown = 20;

    private static void Print(ReviewFormat format, ReviewReport report, IReadOnlyList<AppliedSetting> applied, TextWriter output) =>
        output.Write(format switch
        {
            ReviewFormat.Json => ReviewDocument.Write(report, applied) + Environment.NewLine,
            ReviewFormat.Markdown => ReviewPrinter.Markdown(report),
            _ => ReviewPrinter.Table(report),
        });

    /// <summary>One connection of the review's own, outside the budget, like psql.</summary>
    private static NpgsqlDataSource OwnConnection(string connectionString) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "widgetify-review", MaxPoolSize = 1 }.ConnectionString);

    /// <summary>What the service would read: its appsettings.json, then the environment (<c>Widgetify__*</c>), then the
    /// settings <c>--apply</c> stored in PostgreSQL and in the data folder's file (which win, as in the service), then the
    /// file under review, which wins over all.</summary>
    private static IConfiguration BuildConfiguration(string? configFile, IReadOnlyList<AppliedSetting> inEffect, string? settingsFile)
    {
        var applied = inEffect
            .Where(s => s.Server == PoolReview.History.PoolHistory.PrimaryServer && RunTimeSettings.ConfigurationKeys.Contains(s.ConfigurationKey))
            .ToDictionary(s => s.ConfigurationKey, s => (string?)s.To.ToString(CultureInfo.InvariantCulture));
        if (settingsFile is not null)
        {
            foreach (var (key, value) in ReviewedSettingsFile.Read(settingsFile, out _))
            {
                applied[key] = value.ToString(CultureInfo.InvariantCulture);
            }
        }

        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(applied);
        if (!string.IsNullOrWhiteSpace(configFile))
        {
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        return builder.Build();
    }
}

/// <summary>How <c>widgetify review</c> prints its findings.</summary>
internal enum ReviewFormat
{
    /// <summary>Aligned plain text for a terminal.</summary>
    Table,

    /// <summary>The stable JSON document.</summary>
    Json,

    /// <summary>A Markdown table, for a pull request or a ticket.</summary>
    Markdown,
}
