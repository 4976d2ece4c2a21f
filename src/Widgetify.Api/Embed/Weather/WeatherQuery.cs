using System.Globalization;
using System.Text.Json;
using Widgetify.Api.Embed.Kinds;

namespace Widgetify.Api.Embed.Weather;

/// <summary>Where a weather widget asks about: its coordinates when it has them, else its place name. Widgets for the
/// same place share one cached report (<see cref="CacheKey"/>).</summary>
internal sealed record WeatherQuery(string Location, double? Latitude, double? Longitude)
{
    /// <summary>Coordinates rounded to 0.01° (about 1 km, finer than any forecast grid), or the name ignoring case.</summary>
    public string CacheKey => Latitude is { } lat && Longitude is { } lon
        ? string.Create(CultureInfo.InvariantCulture, $"at:{Math.Round(lat, 2)},{Math.Round(lon, 2)}")
        : "name:" + Location.Trim().ToUpperInvariant();

    /// <summary>The query of a weather widget's config; null when it has no location (a row older than the rules).</summary>
    public static WeatherQuery? From(JsonElement config)
    {
        if (WidgetConfig.Text(config, "location") is not { Length: > 0 } location)
        {
            return null;
        }

        return new WeatherQuery(location, Number(config, "latitude"), Number(config, "longitude"));
    }

    /// <summary>The provider's query string parameters.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Parameters()
    {
        if (Latitude is { } lat && Longitude is { } lon)
        {
            yield return new("latitude", lat.ToString("R", CultureInfo.InvariantCulture));
            yield return new("longitude", lon.ToString("R", CultureInfo.InvariantCulture));
        }
        else
        {
            yield return new("location", Location);
        }

        yield return new("current", "temperature_2m");
    }

    private static double? Number(JsonElement config, string property) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(property, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            ? number
            : null;
}
