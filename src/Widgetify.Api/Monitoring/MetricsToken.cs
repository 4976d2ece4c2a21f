using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Widgetify.Api.Errors;

namespace Widgetify.Api.Monitoring;

/// <summary><c>Monitoring:MetricsToken</c>: the bearer token <c>/metrics</c> requires when one is set. Metrics name
/// tenants' traffic, the database's limits and the fleet's shape: worth a secret once the port is reachable by more than
/// the scraper. Not an API key (Prometheus cannot do the key lifecycle, and a scrape must not cost a key lookup).</summary>
internal static class MetricsToken
{
    public static bool Allows(HttpContext context)
    {
        var expected = context.RequestServices.GetRequiredService<IOptions<WidgetifyOptions>>().Value.Monitoring.MetricsToken;
        if (string.IsNullOrEmpty(expected))
        {
            return true;
        }

        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashing both sides first makes the comparison constant-time in the length too: FixedTimeEquals alone returns
        // at once for inputs of different lengths, which would tell an attacker the token's length.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }

    public static Task ChallengeAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"widgetify-metrics\"";
        return Problems.Write(context, StatusCodes.Status401Unauthorized, "Unauthorized",
            // Whoever reaches the port unauthenticated learns that a token is needed, not where it is kept or which
            // setting holds it (docs/monitoring.md tells the operator).
            "/metrics requires 'Authorization: Bearer <metrics token>'. Ask the operator for the token; Prometheus sends it with " +
            "'authorization: { credentials_file: FILE }' on the scrape job.");
    }
}
