using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Widgetify.Api.Embed.Weather;

/// <summary>Registers the weather provider's client and the per-location report cache.</summary>
internal static class WeatherExtensions
{
    public const string PipelineName = "weather";

    public static IServiceCollection AddWeather(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WeatherOptions>()
            .Bind(configuration.GetSection(WeatherOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.ProviderUrl is null || (o.ProviderUrl.IsAbsoluteUri && o.ProviderUrl.Scheme is "http" or "https"),
                "'Weather:ProviderUrl' must be an absolute http(s) URL, such as https://api.open-meteo.com/v1/forecast.")
            .ValidateOnStart();
        services.AddSingleton<WeatherReports>();
        services.AddHttpClient<WeatherClient>(http =>
            {
                // The pipeline's timeouts govern (on the injected TimeProvider); the client's own would only cut them short.
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.MaxResponseContentBufferSize = WeatherClient.MaxResponseBytes;
            })
            .AddResilienceHandler(PipelineName, (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<WeatherOptions>>().Value;
                pipeline.AddTimeout(options.TotalTimeout);
                if (options.Retries > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.Retries,
                        Delay = options.RetryDelay,
                        BackoffType = DelayBackoffType.Constant,
                        UseJitter = false,
                    });
                }

                pipeline.AddTimeout(options.AttemptTimeout);
            });
        return services;
    }
}
