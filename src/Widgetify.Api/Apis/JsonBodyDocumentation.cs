using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Widgetify.Api.Apis;

/// <summary>Documents a JSON request body in the OpenAPI document without <c>.Accepts&lt;T&gt;()</c>, whose
/// routing constraint answers a wrong Content-Type with a bare 415 before the handler can explain it.</summary>
internal static class JsonBodyDocumentation
{
    public static RouteHandlerBuilder DocumentsJsonBody<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new JsonBodyMetadata(typeof(T)));

    public static OpenApiOptions AddJsonBodyDocumentation(this OpenApiOptions options) =>
        options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var body = context.Description.ActionDescriptor.EndpointMetadata.OfType<JsonBodyMetadata>().FirstOrDefault();
            if (body is null)
            {
                return;
            }

            var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });

    private sealed record JsonBodyMetadata(Type Type);
}
