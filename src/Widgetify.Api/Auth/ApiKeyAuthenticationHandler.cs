using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Widgetify.Api.Data;
using Widgetify.Api.Errors;
using Widgetify.Core.Deadlines;

namespace Widgetify.Api.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c>. Valid keys and refused ones are remembered
/// (<see cref="ApiKeyCache"/>) so that neither a busy client nor a script repeating a bad key costs a database round
/// trip per request. A lookup that the database does not answer ends at the request's deadline, never later: see
/// <see cref="LookupWithinDeadlineAsync"/>.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TenantStore tenants,
    ApiKeyCache cache,
    ApiKeyUsage usage,
    AuthMetrics metrics,
    IOptions<WidgetifyOptions> options,
    TimeProvider timeProvider)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string FailureKey = "widgetify.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            // Anonymous requests (embeds, health) are normal: no result, no log line; the challenge explains it.
            Context.Items[FailureKey] = "Missing 'Authorization' header. Send 'Authorization: Bearer <api key>'. "
                + KeyHints.WhereToGet(Context.GetEndpoint());
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("The 'Authorization' header must use the Bearer scheme: 'Authorization: Bearer <api key>'.");
        }

        var key = header["Bearer ".Length..].Trim();
        if (!ApiKey.IsWellFormed(key))
        {
            return Fail($"The API key is malformed: Widgetify keys start with '{ApiKey.Prefix}' and are {ApiKey.Length} characters long.");
        }

        var fingerprint = cache.Fingerprint(key);
        if (cache.TryGetValid(fingerprint, out var identity))
        {
            metrics.CacheHit(valid: true);
        }
        else if (cache.TryGetRejected(fingerprint, out var remembered))
        {
            metrics.CacheHit(valid: false);
            return Fail(remembered.Detail);
        }
        else
        {
            var generation = cache.Generation;
            var lookup = await LookupWithinDeadlineAsync(key);
            metrics.Lookup(lookup.Rejection?.Reason.ToString().ToLowerInvariant() ?? "valid");
            if (lookup.Rejection is { } rejection)
            {
                cache.RememberRejected(fingerprint, rejection, generation);
                return Fail(rejection.Detail);
            }

            identity = lookup.Identity!;
            cache.RememberValid(fingerprint, identity, generation);
        }

        usage.Record(identity.KeyId);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(WidgetifyClaims.TenantId, identity.TenantId.ToString()),
                new Claim(WidgetifyClaims.TenantName, identity.TenantName),
                new Claim(WidgetifyClaims.KeyId, identity.KeyId.ToString()),
                new Claim(ClaimTypes.Role, identity.Role.ToDatabase()),
            ],
            SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var detail = Context.Items[FailureKey] as string ?? "Authentication is required.";
        Response.Headers.WWWAuthenticate = "Bearer realm=\"widgetify\"";
        await Problems.Write(Context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await Problems.Write(Context, StatusCodes.Status403Forbidden, "Forbidden", KeyHints.Forbidden(Context.GetEndpoint(), Context.User));

    /// <summary>Looks the key up, giving up at the request's deadline. Admission control gives an admitted request its
    /// deadline (<see cref="RequestDeadline"/>); an operators' endpoint skips admission and has none, so the lookup gets
    /// the read budget (<c>Widgetify:Admission:ReadTimeout</c>) of its own. The lookup is not merely handed the token: a
    /// hung server (stopped, or a connection stuck in its start-up) may not honour a cancellation for the connect timeout
    /// plus the command timeout, so the request stops waiting for it at the deadline and the lookup ends on its own.</summary>
    private async Task<ApiKeyLookup> LookupWithinDeadlineAsync(string key)
    {
        var deadline = RequestDeadline.Of(Context);
        var readTimeout = options.Value.Admission.ReadTimeout;
        using var ownTimer = deadline is null ? new CancellationTokenSource(readTimeout, timeProvider) : null;
        var expiry = deadline?.Token ?? ownTimer!.Token;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(Context.RequestAborted, expiry);
        var lookup = tenants.LookupKeyAsync(key, linked.Token);
        try
        {
            return await lookup.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException ex) when (expiry.IsCancellationRequested)
        {
            // Still running: its failure, when it comes, is nobody's to handle; observed so it is not reported as unobserved.
            _ = lookup.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (deadline is not null)
            {
                throw; // admission control answers its deadline's 503, with its Retry-After
            }

            // The exception handler answers a 503 "database unavailable" with Retry-After; the message goes to the log.
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"The API key's lookup did not finish within Widgetify:Admission:ReadTimeout ({readTimeout.TotalSeconds:0.###} s)."), ex);
        }
    }

    private AuthenticateResult Fail(string detail)
    {
        Context.Items[FailureKey] = detail;
        return AuthenticateResult.Fail(detail);
    }
}
