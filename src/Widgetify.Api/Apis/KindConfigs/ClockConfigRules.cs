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

    /// <summary>Files of the tz database folder that .NET loads as zones but are not IANA zone names, which the browser's
    /// <c>Intl.DateTimeFormat</c> refuses: "localtime" (a link to the server's own zone), "posixrules", and "Factory" (a
    /// placeholder whose abbreviation is "-00"); "posix/" and "right/" hold every zone again (the second counting leap
    /// seconds) under names no browser knows.</summary>
    private static readonly string[] NotZoneNames = ["localtime", "posixrules", "Factory"];

    private static readonly string[] NotZonePrefixes = ["posix/", "right/"];

    /// <summary>True when <paramref name="zone"/> names an IANA zone in the server's time zone database (tzdata).</summary>
    public static bool IsIanaZone(string zone) =>
        !NotZoneNames.Contains(zone, StringComparer.Ordinal)
        && !zone.Contains("//", StringComparison.Ordinal) // the file system finds "Europe//Lisbon"; the browser does not
        && !NotZonePrefixes.Any(prefix => zone.StartsWith(prefix, StringComparison.Ordinal))
        && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found) && found.HasIanaId;
}
