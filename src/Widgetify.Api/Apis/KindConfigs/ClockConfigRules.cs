namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>A clock: <c>timeZone</c>, an IANA time zone that exists on this server (such as "Europe/Lisbon"), "UTC" when
/// absent. IANA only, though .NET also finds Windows names: the embed's script hands the zone to the browser's
/// <c>Intl.DateTimeFormat</c>, which knows only IANA names.</summary>
internal static class ClockConfigRules
{
    public const string DefaultTimeZone = "UTC";
    private const int MaxTimeZoneLength = 64;

    public static void Validate(ConfigFields fields)
    {
        if (fields.String("timeZone", MaxTimeZoneLength, allowEmpty: false) is { } zone && !IsIanaZone(zone))
        {
            fields.Error("timeZone", $"Unknown time zone '{zone}': use an IANA name such as \"Europe/Lisbon\", \"America/New_York\" or \"UTC\".");
        }

        fields.RefuseUnknown("clock");
    }

    /// <summary>True when <paramref name="zone"/> names an IANA zone in the server's time zone database (tzdata).</summary>
    public static bool IsIanaZone(string zone) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found) && found.HasIanaId;
}
