namespace Widgetify.Api.Auth;

/// <summary>Authorization policy names.</summary>
internal static class AuthorizationPolicies
{
    /// <summary>A tenant key: manages that tenant's widgets.</summary>
    public const string Tenant = "tenant";

    /// <summary>An operator key: sees alerts and incidents.</summary>
    public const string Operator = "operator";
}
