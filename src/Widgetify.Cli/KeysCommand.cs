using System.CommandLine;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Widgetify.Api.Administration;
using Widgetify.Api.Auth;

namespace Widgetify.Cli;

/// <summary><c>widgetify keys create --tenant NAME</c>: creates the tenant if needed and a key for it. The key is
/// printed once, alone on standard output (so <c>KEY=$(./widgetify keys create --tenant acme)</c> works), and
/// only its hash is stored.</summary>
internal static partial class KeysCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant name: lowercase letters, digits, '-' and '_', up to 63 characters.", Required = true };
        var role = new Option<ApiKeyRole>("--role") { Description = "tenant (manages widgets) or operator (alerts, incidents).", DefaultValueFactory = _ => ApiKeyRole.Tenant };
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        tenant.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } name && !TenantName().IsMatch(name))
            {
                r.AddError($"--tenant '{name}' is not a valid name: use lowercase letters, digits, '-' and '_' (up to 63 characters, starting with a letter or digit).");
            }
        });

        var create = new Command("create", "Create an API key (and the tenant if it does not exist); prints the key once.") { tenant, role, dataDir, databaseUrl };
        create.SetAction((parse, cancellationToken) => CreateAsync(
            parse.GetValue(tenant)!, parse.GetValue(role), parse.GetValue(dataDir)!, parse.GetValue(databaseUrl), cancellationToken));
        return new Command("keys", "Manage API keys.") { create };
    }

    private static async Task<int> CreateAsync(string tenantName, ApiKeyRole role, string dataDir, string? databaseUrl, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        await using var database = await DatabaseTarget.OpenAsync(databaseUrl, dataDir, loggerFactory.CreateLogger("widgetify"), cancellationToken);
        var key = await WidgetifyAdministration.CreateKeyAsync(
            database.ConnectionString, tenantName, role, cancellationToken, database.MigrationConnectionString);
        await Console.Error.WriteLineAsync($"Created {(role == ApiKeyRole.Operator ? "an operator" : "a tenant")} key for tenant '{tenantName}'. It is shown once; store it now:");
        Console.WriteLine(key);
        return 0;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex TenantName();
}
