using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Widgetify.Core.Traffic;

/// <summary>Marks operators' endpoints and tells, for a request, whose traffic it is.</summary>
public static class TrafficExtensions
{
    /// <summary>The tag <c>http.server.request.duration</c> carries on operators' requests (value
    /// <see cref="OperatorTagValue"/>); users' requests have none, so the series of users' traffic keep their labels.</summary>
    public const string TrafficTag = "widgetify.traffic";

    /// <summary>The value of <see cref="TrafficTag"/> on operators' and probes' requests.</summary>
    public const string OperatorTagValue = "operator";

    /// <summary>Marks the endpoint as operators' or probes': see <see cref="OperatorEndpointMetadata"/>.</summary>
    public static TBuilder ForOperators<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(OperatorEndpointMetadata.Instance);

    /// <summary>Whether the endpoint is marked with <see cref="ForOperators{TBuilder}"/>.</summary>
    public static bool IsForOperators(this Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<OperatorEndpointMetadata>() is not null;

    /// <summary>Tags operators' requests on ASP.NET Core's request metrics, so that whatever reads those metrics (the
    /// in-process signals, a Prometheus rule) can leave them out by the same marker. Call it after routing.</summary>
    public static IApplicationBuilder UseTrafficTagging(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(static (context, next) =>
        {
            if (context.GetEndpoint().IsForOperators() && context.Features.Get<IHttpMetricsTagsFeature>() is { } metrics)
            {
                metrics.Tags.Add(new(TrafficTag, OperatorTagValue));
            }

            return next(context);
        });
    }
}
