using Widgetify.Api.Embed.Weather;

namespace Widgetify.Api.Embed;

/// <summary>What a rendering needs besides the widget row: the server's time (the clock shows it) and, for a weather
/// widget, the provider's report (null: unavailable). Gathered by the endpoint, so the views stay pure functions.</summary>
internal sealed record EmbedContext(DateTimeOffset Now, WeatherReport? Weather = null);
