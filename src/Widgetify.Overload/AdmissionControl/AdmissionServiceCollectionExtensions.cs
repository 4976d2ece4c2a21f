using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Widgetify.Overload.CpuOverload;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>Registers and adds admission control; the <see cref="AdmissionMode"/> picks which protection runs.</summary>
public static class AdmissionServiceCollectionExtensions
{
    /// <summary>Registers the <see cref="AdmissionController"/> (and, in <see cref="AdmissionMode.Static"/>, ASP.NET
    /// Core's concurrency limiter). <paramref name="options"/> resolves the validated options.</summary>
    public static IServiceCollection AddAdmissionControl(this IServiceCollection services, Func<IServiceProvider, AdmissionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(TimeProvider.System); // the host registers none; an app's own clock (tests) wins
        services.AddSingleton<AdmissionMetrics>();
        services.TryAddSingleton<IAdmissionPartitioner, SharedPartitioner>(); // the application's own, registered before, wins
        services.TryAddSingleton<IWriteRetryAdvice, CheckFirstAdvice>(); // likewise
        // Resolved once, here: the controller, the middleware (deadlines) and the pipeline's shape all read this copy.
        services.AddSingleton(sp => new AdmissionModeHolder(options(sp)));
        // The CPU probe exists only where it is used: the adaptive mode (its limit, and the CPU shed when that is on).
        services.AddSingleton(sp => new ThreadPoolLagProbe(sp.GetRequiredService<AdmissionModeHolder>().Options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<AdmissionModeHolder>().Options;
            var cpu = settings.Mode == AdmissionMode.Adaptive ? sp.GetRequiredService<ThreadPoolLagProbe>() : null;
            return new AdmissionController(settings, sp.GetRequiredService<TimeProvider>(), new Random(), sp.GetRequiredService<AdmissionMetrics>(), cpu);
        });
        services.AddRateLimiter(limiter =>
        {
            // Only used in Static mode (UseAdmissionControl decides): the obvious .NET fix, a fixed permit count and a
            // FIFO queue, kept so the storm benchmark can compare it with the adaptive controller.
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var endpoint = context.GetEndpoint();
                if (AdmissionEndpointMetadata.Bypasses(endpoint, endpoint?.Metadata.GetMetadata<AdmissionEndpointMetadata>()))
                {
                    return RateLimitPartition.GetNoLimiter("bypass"); // as in Adaptive mode: a liveness probe is never shed
                }

                var settings = context.RequestServices.GetRequiredService<AdmissionModeHolder>().Options;
                return RateLimitPartition.GetConcurrencyLimiter("global", _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = settings.StaticPermitLimit,
                    QueueLimit = settings.StaticQueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
            });
        });
        return services;
    }

    /// <summary>Adds the configured protection to the pipeline. Call it after routing (the endpoint's priority
    /// must be known) and before authentication (an API-key lookup is database work too).</summary>
    public static IApplicationBuilder UseAdmissionControl(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ApplicationServices.GetRequiredService<AdmissionModeHolder>().Options.Mode switch
        {
            AdmissionMode.Adaptive => app.UseMiddleware<AdmissionMiddleware>(),
            AdmissionMode.Static => app.UseRateLimiter(),
            _ => app,
        };
    }

    /// <summary>Gives the endpoint a priority other than the one its HTTP method implies.</summary>
    public static TBuilder WithAdmissionPriority<TBuilder>(this TBuilder builder, RequestPriority priority)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdmissionEndpointMetadata(priority));

    /// <summary>Lets a request to the endpoint skip admission when <paramref name="servedWithoutDatabase"/> says it will be
    /// answered without database work (see <see cref="AdmissionSkipMetadata"/>).</summary>
    public static TBuilder WithoutAdmissionWhen<TBuilder>(this TBuilder builder, Func<HttpContext, bool> servedWithoutDatabase)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AdmissionSkipMetadata(servedWithoutDatabase));

    /// <summary>Registers <typeparamref name="TPartitioner"/> as the tenant partitioner, in place of any other.</summary>
    public static IServiceCollection AddAdmissionPartitioner<TPartitioner>(this IServiceCollection services)
        where TPartitioner : class, IAdmissionPartitioner =>
        services.Replace(ServiceDescriptor.Singleton<IAdmissionPartitioner, TPartitioner>());

    /// <summary>Registers <typeparamref name="TAdvice"/> as what a write whose deadline ended is told, in place of any other.</summary>
    public static IServiceCollection AddWriteRetryAdvice<TAdvice>(this IServiceCollection services)
        where TAdvice : class, IWriteRetryAdvice =>
        services.Replace(ServiceDescriptor.Singleton<IWriteRetryAdvice, TAdvice>());

    /// <summary>What an application that says nothing about its writes gets.</summary>
    private sealed class CheckFirstAdvice : IWriteRetryAdvice
    {
        public string ForOutcomeUnknown(HttpContext context) => "It may have been applied: check whether it was before sending it again.";
    }

    /// <summary>Every request in the one shared partition: what an application that names no tenants gets.</summary>
    private sealed class SharedPartitioner : IAdmissionPartitioner
    {
        public string? GetPartitionKey(HttpContext context) => null;
    }

    /// <summary>The options as resolved once, so the pipeline shape and the limiter agree.</summary>
    internal sealed record AdmissionModeHolder(AdmissionOptions Options);
}
