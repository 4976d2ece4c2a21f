using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Widgetify.Api.Auth;
using Widgetify.Api.Consistency;
using Widgetify.Api.Data;
using Widgetify.Api.Errors;
using Widgetify.Api.Embed.Snippets;

namespace Widgetify.Api.Apis;

/// <summary>The snippet a site owner pastes, <c>GET /api/widgets/{id}/embed</c>, and the script its one-line variant
/// loads, <c>GET /embed.js</c>.</summary>
internal static class EmbedSnippetApi
{
    public static IEndpointRouteBuilder MapEmbedSnippetApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/widgets/{id}/embed", GetSnippetAsync)
            .RequireAuthorization(AuthorizationPolicies.Tenant)
            .WithTags("Widgets")
            .Produces<EmbedSnippet>(StatusCodes.Status200OK, "application/json")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // One 200, two representations: Produces() keeps only the last content type given for a status.
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
                {
                    response.Content ??= new Dictionary<string, OpenApiMediaType>();
                    response.Content["text/html"] = new OpenApiMediaType
                    {
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The iframe snippet (the 'iframe' of the JSON form)." },
                    };
                }

                return Task.CompletedTask;
            })
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ReadsConsistencyToken()
            .WithSummary("The HTML to paste into a page to show the widget: an iframe sized by the embed's height messages (text/html), " +
                "or {\"iframe\",\"script\"} with Accept: application/json, where 'script' is the one-line <script> tag alternative.");
        app.MapGet("/embed.js", ServeScript)
            .WithTags("Embed")
            .Produces(StatusCodes.Status200OK, contentType: "text/javascript")
            .WithSummary("The script of the one-line snippet: inserts the widget's iframe after its <script> tag and sizes it.");
        return app;
    }

    private static async Task<IResult> GetSnippetAsync(
        string id, HttpContext context, ClaimsPrincipal user, WidgetStore store, IOptions<WidgetifyOptions> options,
        CancellationToken cancellationToken)
    {
        if (!WidgetsApi.TryParseId(id, out var widgetId, out var invalid))
        {
            return invalid;
        }

        var widget = await store.GetAsync(user.GetTenantId(), widgetId, cancellationToken);
        if (widget is null)
        {
            return Problems.NotFound($"No widget {widgetId} for this API key's tenant.");
        }

        // The request's own origin, unless one is configured: Kestrel takes Host headers that are no URI host (a'b, a..b,
        // a port past 65535), which a snippet could not point a page at. new Uri threw on them, a 500.
        var baseUrl = PublicBaseUrl(context.Request, options.Value.Embed);
        if (!IsPageAddress(baseUrl))
        {
            return Problems.BadRequest(
                $"The request's Host header ('{context.Request.Headers.Host}') is not an address a page could load the widget from. " +
                "Ask for the snippet through the address your site's visitors will use, such as https://widgets.example.com.");
        }

        var snippet = EmbedSnippet.For(widget, baseUrl);
        var headers = context.Response.Headers;
        headers.CacheControl = "private, no-cache";
        headers.Vary = "Accept";
        headers.XContentTypeOptions = "nosniff";
        return EmbedApi.WantsJson(context.Request)
            ? TypedResults.Json(snippet)
            : TypedResults.Content(snippet.Iframe, "text/html; charset=utf-8");
    }

    private static ContentHttpResult ServeScript(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "public, max-age=3600";
        headers.XContentTypeOptions = "nosniff";
        return TypedResults.Text(EmbedSnippet.EmbedJs, "text/javascript", Encoding.UTF8);
    }

    /// <summary>Whether <paramref name="baseUrl"/> is an absolute URI whose origin can be read: a host such as <c>xn--zz</c>
    /// (no valid punycode) parses, then throws when its origin is asked for.</summary>
    private static bool IsPageAddress(string baseUrl)
    {
        try
        {
            return Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && uri.GetLeftPart(UriPartial.Authority).Length > 0;
        }
        catch (UriFormatException)
        {
            return false;
        }
    }

    /// <summary><see cref="EmbedOptions.PublicBaseUrl"/> when set (behind a proxy that rewrites the host), else the origin
    /// this request came to: the owner asked through the address their visitors will reach too.</summary>
    private static string PublicBaseUrl(HttpRequest request, EmbedOptions options) =>
        options.PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            // The Host header as sent, not request.Host: its getter decodes punycode and throws on a host such as xn--zz.
            : $"{request.Scheme}://{request.Headers.Host}{request.PathBase.ToUriComponent()}";
}
