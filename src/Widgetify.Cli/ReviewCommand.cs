using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Review;
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
            Description = "A JSON file in appsettings form (a 'Widgetify' section) to review; it overrides appsettings.json and Widgetify__* environment variables.",
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
        var command = new Command("review", "Review the connection pool settings against the live servers and the pools' history; exit 2 on a critical finding.")
        {
            dataDir, databaseUrl, config, instances, format,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(dataDir)!, parse.GetValue(databaseUrl), parse.GetValue(config), parse.GetValue(instances), parse.GetValue(format), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        string dataDir, string? databaseUrl, string? configFile, int? instances, ReviewFormat format, CancellationToken cancellationToken)
    {
        IConfiguration configuration;
        try
        {
            configuration = BuildConfiguration(configFile);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException)
        {
            await Console.Error.WriteLineAsync($"widgetify: the review could not run: --config {configFile} is unreadable: {ex.Message}");
            return 1;
        }

        ReviewReport report;
        try
        {
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            await using var database = await DatabaseTarget.OpenAsync(databaseUrl, dataDir, loggerFactory.CreateLogger("widgetify"), cancellationToken);
            report = await PoolSettingsReview.RunAsync(configuration, database.ConnectionString, instances, TimeProvider.System, cancellationToken);
        }
        catch (Exception ex) when (ex is ReviewUnavailableException or NpgsqlException or OptionsValidationException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"widgetify: the review could not run: {ex.Message}");
            return 1;
        }

        Console.Write(format switch
        {
            ReviewFormat.Json => ReviewDocument.Write(report) + Environment.NewLine,
            ReviewFormat.Markdown => ReviewPrinter.Markdown(report),
            _ => ReviewPrinter.Table(report),
        });
        return report.HasCritical ? CriticalExitCode : 0;
    }

    /// <summary>What the service would read: its appsettings.json, then the environment (<c>Widgetify__*</c>), then the file
    /// under review, which wins.</summary>
    private static IConfiguration BuildConfiguration(string? configFile)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables();
        if (!string.IsNullOrWhiteSpace(configFile))
        {
            var path = Path.GetFullPath(configFile);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"no such file ({path}).", path);
            }

            builder.AddJsonFile(path, optional: false);
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
