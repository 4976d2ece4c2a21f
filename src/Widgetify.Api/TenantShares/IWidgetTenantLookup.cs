namespace Widgetify.Api.TenantShares;

/// <summary>The tenant that owns a widget, from memory only: admission asks it for every embed, shed ones included,
/// before anything touches the database. The embed cache (<see cref="Embed.Caching.EmbedCache"/>) answers it for the
/// widgets it holds.</summary>
internal interface IWidgetTenantLookup
{
    /// <summary>The owner of <paramref name="widgetId"/> if it is known without I/O.</summary>
    /// <param name="widgetId">The widget.</param>
    /// <param name="tenantId">Its tenant when known.</param>
    /// <returns>False when not known in memory (never a database read to find out).</returns>
    bool TryGetTenant(Guid widgetId, out Guid tenantId);
}
