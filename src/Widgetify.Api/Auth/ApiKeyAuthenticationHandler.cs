using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Widgetify.Api.Data;
using Widgetify.Api.Errors;

namespace Widgetify.Api.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c>. Valid keys are cached for a short time so
/// that a busy client does not cost one database round trip per request.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TenantStore tenants,
    IMemoryCache cache,
    IOptions<WidgetifyOptions> options)
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
            Context.Items[FailureKey] = "Missing 'Authorization' header. Send 'Authorization: Bearer <api key>'; create a key with './widgetify keys create --tenant NAME'.";
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

        var cacheKey = ("apikey", Convert.ToBase64String(ApiKey.Hash(key)));
        if (!cache.TryGetValue(cacheKey, out ApiKeyIdentity? identity))
        {
            identity = await tenants.FindKeyAsync(key, Context.RequestAborted);
            if (identity is null)
            {
                return Fail("The API key is unknown or has been revoked.");
            }

            var duration = options.Value.Api.ApiKeyCacheDuration;
            if (duration > TimeSpan.Zero)
            {
                cache.Set(cacheKey, identity, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = duration, Size = 1 });
            }
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(WidgetifyClaims.TenantId, identity!.TenantId.ToString()),
                new Claim(WidgetifyClaims.TenantName, identity.TenantName),
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
        await Problems.Write(Context, StatusCodes.Status403Forbidden, "Forbidden", "This API key's role may not call this endpoint.");

    private AuthenticateResult Fail(string detail)
    {
        Context.Items[FailureKey] = detail;
        return AuthenticateResult.Fail(detail);
    }
}
