using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Widgetify.Api.Administration;

namespace Widgetify.Cli;

/// <summary><c>widgetify tenants set-limits --tenant T [--writes-per-second N] [--burst N] [--max-widgets N]
/// [--max-stored-bytes N]</c> and <c>widgetify tenants show --tenant T [--format table|json]</c>: a tenant's write rate
/// limit and quotas, and what it stores. Running instances apply a change within their
/// <c>Widgetify:RateLimits:LimitsRefreshInterval</c> (5 s by default).</summary>
internal static class TenantsCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant name (as given to 'keys create').", Required = true };
        var writesPerSecond = Positive<int>("--writes-per-second", "Writes per second each API key of the tenant may make, sustained.");
        var burst = Positive<int>("--burst", "Writes each API key may make at once after a quiet period.");
        var maxWidgets = NonNegative("--max-widgets", "Widgets the tenant may own.");
        var maxStoredBytes = NonNegative("--max-stored-bytes", "Bytes of widget names and configurations the tenant may store.");
        var setDataDir = CommonOptions.DataDir();
        var setDatabaseUrl = CommonOptions.DatabaseUrl();
        var set = new Command("set-limits", "Override a tenant's write rate limit and quotas; running instances apply them within 5 s.")
        {
            tenant, writesPerSecond, burst, maxWidgets, maxStoredBytes, setDataDir, setDatabaseUrl,
        };
        set.Validators.Add(r =>
        {
            if (r.GetValue(writesPerSecond) is null && r.GetValue(burst) is null && r.GetValue(maxWidgets) is null && r.GetValue(maxStoredBytes) is null)
            {
                r.AddError("Nothing to set: give at least one of --writes-per-second, --burst, --max-widgets, --max-stored-bytes.");
            }
        });
        set.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(setDatabaseUrl), parse.GetValue(setDataDir)!, parse.GetValue(tenant)!,
            TenantsFormat.Table, connection => WidgetifyAdministration.SetTenantLimitsAsync(connection, parse.GetValue(tenant)!,
                parse.GetValue(writesPerSecond), parse.GetValue(burst), parse.GetValue(maxWidgets), parse.GetValue(maxStoredBytes), cancellationToken),
            cancellationToken));

        var showTenant = new Option<string>("--tenant") { Description = "Tenant name (as given to 'keys create').", Required = true };
        var format = new Option<TenantsFormat>("--format") { Description = "table (default) or json.", DefaultValueFactory = _ => TenantsFormat.Table };
        var showDataDir = CommonOptions.DataDir();
        var showDatabaseUrl = CommonOptions.DatabaseUrl();
        var show = new Command("show", "Print a tenant's limits (its overrides, or the defaults) and what it stores.")
        {
            showTenant, format, showDataDir, showDatabaseUrl,
        };
        show.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(showDatabaseUrl), parse.GetValue(showDataDir)!, parse.GetValue(showTenant)!,
            parse.GetValue(format), connection => WidgetifyAdministration.GetTenantLimitsAsync(connection, parse.GetValue(showTenant)!, cancellationToken),
            cancellationToken));

        return new Command("tenants", "Tenants' write rate limits and quotas.") { set, show };
    }

    private static async Task<int> RunAsync(
        string? databaseUrl, string dataDir, string tenant, TenantsFormat format, Func<string, Task<TenantLimitsReport?>> action,
        CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        // Both verbs need the tenant to exist already (a tenant is made with its first key), so a deployment too.
        await using var database = await DatabaseTarget.OpenAsync(databaseUrl, dataDir, loggerFactory.CreateLogger("widgetify"), cancellationToken, existingOnly: true);
        await database.MigrateAsOwnerAsync(cancellationToken);
        if (await action(database.ConnectionString) is not { } report)
        {
            await Console.Error.WriteLineAsync($"widgetify: there is no tenant '{tenant}'. A tenant is created with its first key: './widgetify keys create --tenant {tenant}'.");
            return 1;
        }

        Console.Write(format == TenantsFormat.Json ? JsonSerializer.Serialize(report, Json) + Environment.NewLine : Table(report));
        return 0;
    }

    internal static string Table(TenantLimitsReport report)
    {
        static string Limit(TenantLimit limit) =>
            limit.Value.ToString("N0", CultureInfo.InvariantCulture) + (limit.IsDefault ? " (default)" : "");
        static string Share(long used, long limit) =>
            limit == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({100.0 * used / limit:0.#}%)");

        return string.Create(CultureInfo.InvariantCulture, $"""
            tenant             {report.Tenant}
            writes per second  {Limit(report.WritesPerSecond)} per API key
            burst              {Limit(report.Burst)} per API key
            widgets            {report.Widgets:N0} of {Limit(report.MaxWidgets)}{Share(report.Widgets, report.MaxWidgets.Value)}
            stored bytes       {report.StoredBytes:N0} of {Limit(report.MaxStoredBytes)}{Share(report.StoredBytes, report.MaxStoredBytes.Value)}

            """);
    }

    private static Option<T?> Positive<T>(string name, string description)
        where T : struct, INumber<T>
    {
        var option = new Option<T?>(name) { Description = description };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<T?>() is { } value && value < T.One)
            {
                r.AddError($"{name} must be at least 1; got {value}.");
            }
        });
        return option;
    }

    private static Option<long?> NonNegative(string name, string description)
    {
        var option = new Option<long?>(name) { Description = description };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is { } value && value < 0)
            {
                r.AddError($"{name} must be 0 or more; got {value}.");
            }
        });
        return option;
    }
}

internal enum TenantsFormat
{
    Table,
    Json,
}
