using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Widgetify.Api.Auth;
using Widgetify.Api.Errors;
using Widgetify.Core.Traffic;

namespace Widgetify.Api.RateLimiting;

/// <summary>Limits each API key's writes (POST, PUT, PATCH, DELETE under <c>/api/</c>) with a token bucket, and puts
/// <c>RateLimit-Policy</c> and <c>RateLimit</c> on every response to such a write, 429 or not.</summary>
/// <remarks>
/// It sits after authentication (the bucket is the key's, its size the key's tenant's, and an unknown key must not get a
/// bucket at all: random keys would fill memory) and before authorization and the endpoint, so a refused write has read
/// no body and touched no database: it costs a cached key lookup and a lock. It is after admission control, which comes
/// before authentication because a key lookup may be database work; so a burst of writes over the limit still takes
/// admission slots, but each for microseconds. Reads are never limited here: under a read storm admission control sheds
/// them with 503 and Retry-After, which is the honest answer when the service, not the client, is the bottleneck.
/// Not ASP.NET Core's <c>UseRateLimiter</c>: the static admission mode already owns its global limiter, and its
/// middleware gives the endpoint no access to the lease, which the headers of a served write need.
/// </remarks>
internal sealed class WriteRateLimitMiddleware(
    RequestDelegate next, WriteRateLimiter limiter, TenantLimitsCache limits, RateLimitMetrics metrics, IOptions<WidgetifyOptions> options)
{
    private readonly bool _enabled = options.Value.RateLimits.Enabled;

    public Task InvokeAsync(HttpContext context)
    {
        if (!_enabled || !IsLimited(context) || KeyIdOf(context) is not { } keyId)
        {
            return next(context);
        }

        var tenantId = context.User.GetTenantId();
        var limit = limits.For(tenantId).Write;
        using var lease = limiter.Acquire(keyId, limit);
        lease.TryGetMetadata(WriteTokenBucket.Remaining, out var remaining);
        lease.TryGetMetadata(WriteTokenBucket.UntilFull, out var untilFull);
        var fields = new Fields(RateLimitFields.Policy(limit), RateLimitFields.State(remaining, untilFull));
        // On starting, not now: the exception handler clears the headers of a response it replaces (a 503 when the
        // database is away), and that response answers a rate-limited request too.
        context.Response.OnStarting(static state =>
        {
            var (response, fields) = ((HttpResponse, Fields))state;
            response.Headers[RateLimitFields.PolicyHeader] = fields.Policy;
            response.Headers[RateLimitFields.StateHeader] = fields.State;
            return Task.CompletedTask;
        }, (context.Response, fields));

        if (lease.IsAcquired)
        {
            return next(context);
        }

        metrics.RecordRejection(RejectionKind.Rate);
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
        return RejectAsync(context, limit, Math.Max(1, RateLimitFields.WholeSeconds(retryAfter)));
    }

    private static Task RejectAsync(HttpContext context, WriteLimit limit, int retryAfterSeconds)
    {
        var tenant = context.User.FindFirst(WidgetifyClaims.TenantName)?.Value ?? "NAME";
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Write(context, StatusCodes.Status429TooManyRequests, "Too many writes", string.Create(CultureInfo.InvariantCulture,
            $"This API key has used up its write rate limit: {limit.WritesPerSecond} writes per second with bursts of {limit.Burst} " +
            $"(policy \"{RateLimitFields.PolicyName}\"; see the RateLimit and RateLimit-Policy headers). Nothing was written. Retry after " +
            // The client is a tenant: the operator's command and settings are in docs/rate-limits.md and the operators' log,
            // not in an answer to an API customer (docs/security.md, what errors may say).
            $"{retryAfterSeconds} s. Reads are not limited. If tenant '{tenant}' needs more, the service's operator can raise its limit."));
    }

    private static bool IsLimited(HttpContext context)
    {
        var method = context.Request.Method;
        return (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method))
            && context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            && !context.GetEndpoint().IsForOperators()
            && context.User.Identity?.IsAuthenticated == true;
    }

    /// <summary>The bucket's name: the authenticated key's id, never the key or its hash.</summary>
    private static Guid? KeyIdOf(HttpContext context) =>
        Guid.TryParse(context.User.FindFirst(WidgetifyClaims.KeyId)?.Value, out var keyId) ? keyId : null;

    private sealed record Fields(string Policy, string State);
}
