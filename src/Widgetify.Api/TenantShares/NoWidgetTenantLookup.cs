namespace Widgetify.Api.TenantShares;

/// <summary>Knows no widget's tenant: the partition of an embed is then the widget itself, so one viral widget is still
/// bounded by its share. Stands in until the widget cache provides <see cref="IWidgetTenantLookup"/>.</summary>
internal sealed class NoWidgetTenantLookup : IWidgetTenantLookup
{
    public bool TryGetTenant(Guid widgetId, out Guid tenantId)
    {
        tenantId = Guid.Empty;
        return false;
    }
}
