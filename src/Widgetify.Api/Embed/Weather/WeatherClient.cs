using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Widgetify.Api.Embed.Weather;

/// <summary>Calls the provider (typed HttpClient; its timeouts and retries are the resilience pipeline of
/// <see cref="WeatherExtensions.AddWeather"/>) and reads the current temperature from an Open-Meteo-shaped answer:
/// <c>{"current":{"temperature_2m":21.4},"current_units":{"temperature_2m":"°C"}}</c>.</summary>
internal sealed partial class WeatherClient(HttpClient http, IOptions<WeatherOptions> options, TimeProvider timeProvider, ILogger<WeatherClient> logger)
{
    /// <summary>A provider answer larger than this is not weather.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    /// <summary>The report, or null when the provider is not configured, fails, times out or answers nonsense (logged).</summary>
    public async Task<WeatherReport?> GetAsync(WeatherQuery query, CancellationToken cancellationToken)
    {
        if (options.Value.ProviderUrl is not { } provider)
        {
            return null;
        }

        var url = QueryHelpers.AddQueryString(provider.AbsoluteUri, query.Parameters());
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogFailed(logger, query.Location, $"it answered {(int)response.StatusCode}");
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            if (Read(document.RootElement) is not { } reading)
            {
                LogFailed(logger, query.Location, "its answer has no current.temperature_2m");
                return null;
            }

            return new WeatherReport(reading.Temperature, reading.Unit, timeProvider.GetUtcNow());
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the provider did (a refused connection, a timeout, JSON that is not what we read): the widget
            // shows "Weather unavailable", and the failure is cached briefly, never a faulted task every view rethrows.
            LogFailed(logger, query.Location, ex.Message);
            return null;
        }
    }

    private static (double Temperature, string Unit)? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("current", out var current) || current.ValueKind != JsonValueKind.Object
            || !current.TryGetProperty("temperature_2m", out var temperature) || temperature.ValueKind != JsonValueKind.Number
            || !temperature.TryGetDouble(out var degrees) || !double.IsFinite(degrees))
        {
            return null; // absent, or a number no thermometer gives (1e400 does not fit a double)
        }

        var unit = root.TryGetProperty("current_units", out var units) && units.ValueKind == JsonValueKind.Object
            && units.TryGetProperty("temperature_2m", out var given) && given.ValueKind == JsonValueKind.String
            ? given.GetString()!
            : "°C";
        return (degrees, unit.Length <= 8 ? unit : unit[..8]);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Weather for '{Location}' is unavailable: the provider failed ({Reason})")]
    private static partial void LogFailed(ILogger logger, string location, string reason);
}
