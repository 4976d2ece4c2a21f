using System.Globalization;

namespace Widgetify.Api.Data;

/// <summary>The demo tenant a newcomer gets from './widgetify up': enough widgets (10,000 by default) that
/// pagination, search and the embed path behave as they would for a real customer.</summary>
internal sealed class DemoData(TenantStore tenants, WidgetStore widgets, TimeProvider timeProvider)
{
    public const string TenantName = "demo";

    /// <summary>Creates the demo tenant and its widgets unless they exist; returns the tenant id and how many
    /// widgets were added now (0 on every run after the first).</summary>
    public async Task<(Guid TenantId, int Added)> EnsureAsync(int widgetCount, CancellationToken cancellationToken)
    {
        var tenantId = await tenants.EnsureTenantAsync(TenantName, cancellationToken);
        if (widgetCount <= 0 || await widgets.CountAsync(tenantId, cancellationToken) > 0)
        {
            return (tenantId, 0);
        }

        await widgets.ImportAsync(tenantId, Generate(widgetCount), timeProvider.GetUtcNow(), cancellationToken);
        return (tenantId, widgetCount);
    }

    internal static IEnumerable<WidgetDraft> Generate(int count)
    {
        // Each city with its IANA zone, so a clock named after a city shows that city's time.
        (string Name, string TimeZone)[] cities =
        [
            ("Lisbon", "Europe/Lisbon"), ("Nairobi", "Africa/Nairobi"), ("Osaka", "Asia/Tokyo"),
            ("Quito", "America/Guayaquil"), ("Tromsø", "Europe/Oslo"), ("Adelaide", "Australia/Adelaide"),
        ];
        for (var i = 1; i <= count; i++)
        {
            var n = i.ToString("D5", CultureInfo.InvariantCulture);
            var (city, timeZone) = cities[i % cities.Length];
            yield return (i % 5) switch
            {
                0 => new WidgetDraft($"Visitor counter {n}", "counter", """{"label":"visitors"}"""),
                1 => new WidgetDraft($"Poll {n}", "poll", """{"question":"Tabs or spaces?","options":["Tabs","Spaces"]}"""),
                2 => new WidgetDraft($"Banner {n}", "banner", """{"text":"Spring sale: 20% off","link":"https://example.com/sale"}"""),
                3 => new WidgetDraft($"Clock {n} ({city})", "clock", $$"""{"timeZone":"{{timeZone}}"}"""),
                _ => new WidgetDraft($"Weather {n} ({city})", "weather", $$"""{"location":"{{city}}"}"""),
            };
        }
    }
}
