using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Incidents.Lifecycle;
using Widgetify.Overload.PoolGovernance;
using Widgetify.PoolReview;
using Widgetify.PoolReview.Applied;

namespace Widgetify.Api.Review;

/// <summary>Puts the settings <c>./widgetify review --apply</c> applied into effect without a restart: every
/// <see cref="PoolReviewOptions.AppliedSettingsPollInterval"/> it reads the values in effect from PostgreSQL
/// (<see cref="AppliedSettingsTable"/>, so every instance of a fleet picks them up) and from
/// <see cref="PoolReviewOptions.SettingsFile"/> (a single <c>up</c>; it wins), feeds them to the configuration
/// (<see cref="ReviewedSettingsSource"/>), and when the pool size the service would now bind differs from the one the
/// governor uses, changes the governor's (<see cref="PoolGovernor.ChangeMaxPoolSizeAsync"/>). Every change is logged with
/// its old and new value and recorded on an open incident's timeline. An unreadable database or file keeps the last
/// values read.</summary>
internal sealed partial class AppliedSettingsWatcher(
    ReviewedSettingsSource source, IOptionsMonitor<WidgetifyOptions> options, IOptions<PoolReviewOptions> reviewOptions, PoolGovernor governor,
    WidgetifyDataSources dataSources, PoolReviewLoop reviews, IncidentTracker incidents, TimeProvider timeProvider,
    ILogger<AppliedSettingsWatcher> logger) : BackgroundService
{
    private readonly AppliedSettingsTable table = new(dataSources.Control);
    private Dictionary<string, int> fromDatabase = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, int> fromFile = new(StringComparer.OrdinalIgnoreCase);
    private int? adopted = WidgetifyDataSources.ConfiguredMaxPoolSize(options.CurrentValue.Database);
    private string? databaseProblem;
    private string? fileProblem;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = reviewOptions.Value.AppliedSettingsPollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stoppingToken);
                await Task.Delay(interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Reads the applied settings once and puts a changed pool size into effect.</summary>
    internal async Task PollAsync(CancellationToken cancellationToken)
    {
        await ReadDatabaseAsync(cancellationToken);
        ReadFile();
        var merged = new Dictionary<string, int>(fromDatabase, StringComparer.OrdinalIgnoreCase);
        foreach (var (fileKey, value) in fromFile)
        {
            merged[fileKey] = value;
        }

        var before = source.Provider;
        if (before.Set(merged))
        {
            LogAppliedValues(logger, string.Join(", ", merged.Select(v => $"{v.Key} = {v.Value.ToString(CultureInfo.InvariantCulture)} ({SourceOf(v.Key)})")) is { Length: > 0 } text ? text : "none");
        }

        int? wanted;
        try
        {
            wanted = WidgetifyDataSources.ConfiguredMaxPoolSize(options.CurrentValue.Database);
        }
        catch (OptionsValidationException ex)
        {
            LogInvalid(logger, ex.Message);
            return;
        }

        if (wanted == adopted)
        {
            return;
        }

        var key = RunTimeSettings.ConfigurationKey(RunTimeSettings.MaxPoolSize);
        var snapshot = await governor.ChangeMaxPoolSizeAsync(wanted, cancellationToken);
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Database:MaxPoolSize changed at run time from {Describe(adopted)} to {Describe(wanted)} ({SourceOf(key)}), without a restart: share {snapshot.Share} of a budget of {snapshot.Budget?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}, pool applied {snapshot.AppliedMaxPoolSize}.");
        LogPoolSizeChanged(logger, message);
        incidents.RecordAutomaticAction(timeProvider.GetUtcNow(), message, new Dictionary<string, double>
        {
            ["old"] = adopted ?? 0,
            ["new"] = wanted ?? 0,
            ["share"] = snapshot.Share,
        });
        adopted = wanted;
        reviews.RequestReview(); // the report should judge the settings now in effect
    }

    private async Task ReadDatabaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            fromDatabase = (await table.ReadInEffectAsync(cancellationToken))
                .Where(s => s.Server == PoolReview.History.PoolHistory.PrimaryServer && RunTimeSettings.ConfigurationKeys.Contains(s.ConfigurationKey))
                .ToDictionary(s => s.ConfigurationKey, s => s.To, StringComparer.OrdinalIgnoreCase);
            if (databaseProblem is not null)
            {
                LogDatabaseReadAgain(logger);
                databaseProblem = null;
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (databaseProblem is null)
            {
                databaseProblem = ex.Message;
                LogDatabaseUnreadable(logger, ex.Message);
            }
        }
    }

    private void ReadFile()
    {
        if (reviewOptions.Value.SettingsFile is not { Length: > 0 } path)
        {
            return;
        }

        try
        {
            fromFile = new Dictionary<string, int>(ReviewedSettingsFile.Read(path, out var ignored), StringComparer.OrdinalIgnoreCase);
            if (ignored.Count > 0 && fileProblem is null)
            {
                fileProblem = "ignored";
                LogIgnoredKeys(logger, path, string.Join(", ", ignored));
            }
            else if (ignored.Count == 0)
            {
                fileProblem = null;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (fileProblem != ex.Message)
            {
                fileProblem = ex.Message;
                LogFileUnreadable(logger, ex.Message);
            }
        }
    }

    private string SourceOf(string key) =>
        fromFile.ContainsKey(key) ? $"from {reviewOptions.Value.SettingsFile}"
        : fromDatabase.ContainsKey(key) ? $"from {AppliedSettingsTable.Name} in PostgreSQL"
        : "from the configuration, no applied value any more";

    private static string Describe(int? size) => size?.ToString(CultureInfo.InvariantCulture) ?? "not set (follows the budget)";

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogPoolSizeChanged(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied settings now in effect: {Values}")]
    private static partial void LogAppliedValues(ILogger logger, string values);

    [LoggerMessage(Level = LogLevel.Error, Message = "An applied setting is not valid, so the pool keeps its size: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the applied settings from PostgreSQL; the last values read stay in effect until it answers: {Reason}")]
    private static partial void LogDatabaseUnreadable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The applied settings can be read from PostgreSQL again")]
    private static partial void LogDatabaseReadAgain(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not read the applied settings file; its last values read stay in effect until it is fixed: {Reason}")]
    private static partial void LogFileUnreadable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} sets {Keys}, which cannot change at run time: ignored (set them in appsettings.json or the environment)")]
    private static partial void LogIgnoredKeys(ILogger logger, string path, string keys);
}
