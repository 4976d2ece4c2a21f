using System.Text.Json;

namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>What each kind's config must hold, checked when a widget is written (create and update) so that a widget
/// that is stored is one that renders as its owner meant: a poll with options to vote on, a clock in a zone that exists,
/// a banner whose link is http(s). A rule broken is a 422 naming the field (<c>config.timeZone</c>); a body that is not
/// even a widget (bad JSON, wrong types at the top) stays a 400 from <see cref="WidgetInputReader"/>.</summary>
internal static class KindConfigRules
{
    /// <summary>Adds to <paramref name="errors"/> each rule of <paramref name="kind"/> that <paramref name="config"/>
    /// breaks, keyed <c>config.field</c>. An unknown kind has no rules (the reader has refused it already).</summary>
    public static void Validate(string kind, JsonElement config, Dictionary<string, string[]> errors)
    {
        var fields = new ConfigFields(config, errors);
        switch (kind)
        {
            case "poll":
                PollConfigRules.Validate(fields);
                break;
            case "clock":
                ClockConfigRules.Validate(fields);
                break;
            case "banner":
                BannerConfigRules.Validate(fields);
                break;
            case "counter":
                CounterConfigRules.Validate(fields);
                break;
            case "weather":
                WeatherConfigRules.Validate(fields);
                break;
        }
    }
}
