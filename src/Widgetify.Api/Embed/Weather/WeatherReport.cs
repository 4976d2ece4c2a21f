namespace Widgetify.Api.Embed.Weather;

/// <summary>The current temperature at a location, as the provider reported it.</summary>
/// <param name="Temperature">In <paramref name="Unit"/>.</param>
/// <param name="Unit">As the provider names it ("°C" when it does not say).</param>
/// <param name="FetchedAt">When the provider answered (the server's clock).</param>
internal sealed record WeatherReport(double Temperature, string Unit, DateTimeOffset FetchedAt);
