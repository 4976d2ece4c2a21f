namespace Widgetify.Api.Auth;

/// <summary>What an API key may do.</summary>
public enum ApiKeyRole
{
    /// <summary>Manages one tenant's widgets.</summary>
    Tenant,

    /// <summary>Runs the service: alerts, incidents, operational endpoints.</summary>
    Operator,
}

internal static class ApiKeyRoles
{
    public static string ToDatabase(this ApiKeyRole role) => role switch
    {
        ApiKeyRole.Tenant => "tenant",
        ApiKeyRole.Operator => "operator",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown API key role."),
    };

    public static ApiKeyRole FromDatabase(string role) => role switch
    {
        "tenant" => ApiKeyRole.Tenant,
        "operator" => ApiKeyRole.Operator,
        _ => throw new InvalidOperationException($"Unknown API key role '{role}' in the database."),
    };
}
