using System.Text.Json;

namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>A weather widget: <c>location</c> (required, the place name shown), and optionally <c>latitude</c> and
/// <c>longitude</c> (both or neither). With coordinates the provider is asked for them; without, it is asked by name
/// (Widgetify does no geocoding: a provider that takes only coordinates, as Open-Meteo's forecast API does, needs them).</summary>
internal static class WeatherConfigRules
{
    public const int MaxLocationLength = 100;

    public static void Validate(ConfigFields fields)
    {
        fields.String("location", MaxLocationLength, required: true, allowEmpty: false);
        var latitude = Coordinate(fields, "latitude", 90);
        var longitude = Coordinate(fields, "longitude", 180);
        if (latitude is null != longitude is null && latitude is not double.NaN && longitude is not double.NaN)
        {
            fields.Error(latitude is null ? "latitude" : "longitude", "Give both latitude and longitude, or neither.");
        }

        fields.RefuseUnknown("weather");
    }

    /// <summary>The coordinate, null when absent, NaN when invalid (the error is recorded).</summary>
    private static double? Coordinate(ConfigFields fields, string field, double limit)
    {
        if (fields.Get(field) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var degrees) || Math.Abs(degrees) > limit)
        {
            fields.Error(field, $"Must be a number of degrees from -{limit} to {limit}.");
            return double.NaN;
        }

        return degrees;
    }
}
