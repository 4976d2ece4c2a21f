using System.ComponentModel.DataAnnotations;

namespace Widgetify.Api.Embed.Weather;

/// <summary>The weather provider the operator configures (section <c>Weather</c>): a JSON HTTP API shaped like
/// Open-Meteo's forecast API. Without <see cref="ProviderUrl"/>, weather widgets render "Weather unavailable".</summary>
public sealed class WeatherOptions
{
    /// <summary>The configuration section, <c>Weather</c>.</summary>
    public const string SectionName = "Weather";

    /// <summary>The provider's endpoint, such as <c>https://api.open-meteo.com/v1/forecast</c>; it is called with
    /// <c>latitude</c>, <c>longitude</c> (or <c>location</c>, the place name, for a widget without coordinates) and
    /// <c>current=temperature_2m</c>.</summary>
    /// <value>Default null: no provider, every weather widget is unavailable.</value>
    public Uri? ProviderUrl { get; set; }

    /// <summary>How long one call to the provider may take before it is abandoned (and retried).</summary>
    /// <value>Default 2 seconds; 100 ms to 30 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:00:30")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a rendering waits for the provider in all, retries included: a visitor's embed is never held
    /// longer than this by the weather.</summary>
    /// <value>Default 4 seconds; 100 ms to 60 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Retries after a failed call (a 5xx, 408, 429, a timeout, a refused connection).</summary>
    /// <value>Default 1; 0 to 3.</value>
    [Range(0, 3)]
    public int Retries { get; set; } = 1;

    /// <summary>The wait before a retry.</summary>
    /// <value>Default 200 ms; 0 to 5 s.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a report is reused for the same location: weather does not change by the second, and a popular
    /// widget must not turn every view into a call to the provider.</summary>
    /// <value>Default 10 minutes; 1 second to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a failure is remembered for a location before the provider is asked again: a provider that is
    /// down is not hammered by every view, and weather comes back within this once it recovers.</summary>
    /// <value>Default 1 minute; 0 to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FailureCacheDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most locations kept in memory. A new location that finds the cache full is not remembered (the cache
    /// compacts, least recently used first, in the background); views of it still share one call while it runs.</summary>
    /// <value>Default 10,000; 1 to 1,000,000.</value>
    [Range(1, 1_000_000)]
    public int MaxCachedLocations { get; set; } = 10_000;
}
