using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Consistency;

/// <summary>Puts <c>Widgetify-Consistency</c> in the OpenAPI document: a response header of the endpoints that write,
/// an optional request header of the endpoints that read.</summary>
internal static class ConsistencyDocumentation
{
    private const string WrittenDescription =
        "The primary's WAL position after this write committed, signed by this deployment (for example " +
        "0/3000148.q1mO0Zfd9kT3tQ1WgNw0aA). Send it back unchanged as a request header on later reads to be sure they see " +
        "this write, whichever database server serves them.";

    private const string RequestedDescription =
        "A Widgetify-Consistency value from an earlier write's response: the read is served only by a server that has " +
        "that write (a standby that has replayed it, or the primary). Without it a read may come from a standby up to " +
        "Widgetify:Database:Replicas:MaxLag behind. A value that is not one this deployment signed (altered, made up, or " +
        "from another deployment), or names a position the database has not reached (a token from before a restore to an " +
        "earlier point), is a 400 problem.";

    /// <summary>Marks an endpoint whose successful response carries the token.</summary>
    public static RouteHandlerBuilder WritesConsistencyToken(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new ConsistencyMetadata(Writes: true));

    /// <summary>Marks an endpoint that honours a token sent back.</summary>
    public static RouteHandlerBuilder ReadsConsistencyToken(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new ConsistencyMetadata(Writes: false));

    public static OpenApiOptions AddConsistencyDocumentation(this OpenApiOptions options) =>
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata.OfType<ConsistencyMetadata>().FirstOrDefault();
            if (metadata is null)
            {
                return Task.CompletedTask;
            }

            if (metadata.Writes)
            {
                foreach (var (status, response) in operation.Responses ?? [])
                {
                    if (status.StartsWith('2') && response is OpenApiResponse concrete)
                    {
                        concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                        concrete.Headers[ConsistencyToken.HeaderName] = new OpenApiHeader
                        {
                            Description = WrittenDescription,
                            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                        };
                    }
                }
            }
            else
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = ConsistencyToken.HeaderName,
                    In = ParameterLocation.Header,
                    Required = false,
                    Description = RequestedDescription,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
            }

            return Task.CompletedTask;
        });

    private sealed record ConsistencyMetadata(bool Writes);
}
