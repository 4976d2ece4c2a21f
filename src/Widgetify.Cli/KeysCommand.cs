using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Widgetify.Api.Administration;
using Widgetify.Api.Auth;
using Widgetify.Postgres;

namespace Widgetify.Cli;

/// <summary><c>widgetify keys create|list|revoke|rotate</c>: the API key lifecycle. A new key is printed once, alone on
/// standard output (so <c>KEY=$(./widgetify keys create --tenant acme)</c> works), and only its hash is stored; a listing
/// never shows a key or its hash. A revoke or a rotation reaches every running instance as soon as it commits.</summary>
internal static partial class KeysCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Command Create() => new("keys", "Manage API keys: create, list, revoke, rotate.")
    {
        CreateVerb(), ListVerb(), RevokeVerb(), RotateVerb(),
    };

    private static Command CreateVerb()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant name: lowercase letters, digits, '-' and '_', up to 63 characters.", Required = true };
        tenant.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } name && !TenantName().IsMatch(name))
            {
                r.AddError($"--tenant '{name}' is not a valid name: use lowercase letters, digits, '-' and '_' (up to 63 characters, starting with a letter or digit).");
            }
        });
        var role = new Option<ApiKeyRole>("--role") { Description = "tenant (manages widgets) or operator (alerts, incidents).", DefaultValueFactory = _ => ApiKeyRole.Tenant };
        var (expiresIn, expiresAt) = ExpiryOptions();
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var create = new Command("create", "Create an API key (and the tenant if it does not exist); prints the key once.")
        {
            tenant, role, expiresIn, expiresAt, dataDir, databaseUrl,
        };
        create.Validators.Add(r => OneExpiry(r, expiresIn, expiresAt));
        create.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(tenant)!;
            var keyRole = parse.GetValue(role);
            var expiry = Expiry(parse.GetValue(expiresIn), parse.GetValue(expiresAt));
            var folder = parse.GetValue(dataDir)!;
            // Making the deployment is what a first key needs (documented), and a mistyped --data-dir does the same silently.
            var makesOne = string.IsNullOrWhiteSpace(parse.GetValue(databaseUrl)) && ClusterLocation.FindExisting(folder) is null;
            await using var database = await OpenAsync(parse.GetValue(databaseUrl), folder, existingOnly: false, cancellationToken);
            var created = await WidgetifyAdministration.CreateKeyAsync(database.ConnectionString, name, keyRole, expiry, cancellationToken);
            if (makesOne)
            {
                await Console.Error.WriteLineAsync(
                    $"widgetify: '{folder}' held no Widgetify database, so a new one was made there, and the key works only there: " +
                    $"start it with './widgetify up --data-dir {folder}'. If the folder is a typo, delete it and run this again with the right one.");
            }

            await Console.Error.WriteLineAsync(
                $"Created {(keyRole == ApiKeyRole.Operator ? "an operator" : "a tenant")} key {created.Id} for tenant '{name}'" +
                (expiry is { } at ? $", valid until {Time(at)}" : "") + ". It is shown once; store it now:");
            Console.WriteLine(created.Key);
            return 0;
        });
        return create;
    }

    private static Command ListVerb()
    {
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's keys." };
        var format = CommonOptions.TableOrJson();
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var list = new Command("list", "List API keys: id, tenant, role, created, last used, expiry, state; never a key or its hash.")
        {
            tenant, format, dataDir, databaseUrl,
        };
        list.SetAction(async (parse, cancellationToken) =>
        {
            await using var database = await OpenAsync(parse.GetValue(databaseUrl), parse.GetValue(dataDir)!, existingOnly: true, cancellationToken);
            var keys = await WidgetifyAdministration.ListKeysAsync(database.ConnectionString, parse.GetValue(tenant), cancellationToken);
            Console.Write(parse.GetValue(format) == "json" ? JsonSerializer.Serialize(keys, Json) + Environment.NewLine : Table(keys));
            return 0;
        });
        return list;
    }

    private static Command RevokeVerb()
    {
        var id = KeyId();
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var revoke = new Command("revoke", "Revoke an API key: every running instance refuses it as soon as this commits.") { id, dataDir, databaseUrl };
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            var keyId = Guid.Parse(parse.GetValue(id)!, CultureInfo.InvariantCulture);
            await using var database = await OpenAsync(parse.GetValue(databaseUrl), parse.GetValue(dataDir)!, existingOnly: true, cancellationToken);
            if (await WidgetifyAdministration.RevokeKeyAsync(database.ConnectionString, keyId, cancellationToken) is not { } revocation)
            {
                await Console.Error.WriteLineAsync($"widgetify: no API key has id {keyId}; './widgetify keys list' shows the ids.");
                return 1;
            }

            await Console.Error.WriteLineAsync(revocation.AlreadyRevoked
                ? $"Key {keyId} was already revoked, at {Time(revocation.RevokedAt)}: nothing changed."
                : $"Revoked key {keyId}: running instances refuse it from now on.");
            return 0;
        });
        return revoke;
    }

    private static Command RotateVerb()
    {
        var id = KeyId();
        var overlap = new Option<string>("--overlap")
        {
            Description = "How long the old key keeps working beside the new one, e.g. 24h, 30m, 7d; 0s stops it now.",
            DefaultValueFactory = _ => "24h",
        };
        overlap.Validators.Add(r => ValidateDuration(r, "--overlap", allowZero: true));
        var (expiresIn, expiresAt) = ExpiryOptions();
        var dataDir = CommonOptions.DataDir();
        var databaseUrl = CommonOptions.DatabaseUrl();
        var rotate = new Command("rotate", "Replace an API key with a new one of the same tenant and role; prints the new key once. The old key keeps working for --overlap, then stops.")
        {
            id, overlap, expiresIn, expiresAt, dataDir, databaseUrl,
        };
        rotate.Validators.Add(r => OneExpiry(r, expiresIn, expiresAt));
        rotate.SetAction(async (parse, cancellationToken) =>
        {
            var keyId = Guid.Parse(parse.GetValue(id)!, CultureInfo.InvariantCulture);
            var expiry = Expiry(parse.GetValue(expiresIn), parse.GetValue(expiresAt));
            await using var database = await OpenAsync(parse.GetValue(databaseUrl), parse.GetValue(dataDir)!, existingOnly: true, cancellationToken);
            var rotated = await WidgetifyAdministration.RotateKeyAsync(
                database.ConnectionString, keyId, ParseDuration(parse.GetValue(overlap)!)!.Value, expiry, cancellationToken);
            if (rotated is null)
            {
                await Console.Error.WriteLineAsync($"widgetify: no API key has id {keyId}; './widgetify keys list' shows the ids.");
                return 1;
            }

            await Console.Error.WriteLineAsync(
                $"Rotated key {keyId}: the old key keeps working until {Time(rotated.OldKeyValidUntil)}, then stops. The new key " +
                $"{rotated.Id}{(rotated.ExpiresAt is { } at ? $" (valid until {Time(at)})" : "")} is shown once; store it now:");
            Console.WriteLine(rotated.Key);
            return 0;
        });
        return rotate;
    }

    private static Argument<string> KeyId()
    {
        var id = new Argument<string>("ID") { Description = "The key's id, as 'keys list' shows it." };
        id.Validators.Add(r =>
        {
            if (!Guid.TryParse(r.GetValueOrDefault<string>(), CultureInfo.InvariantCulture, out _))
            {
                r.AddError($"'{r.GetValueOrDefault<string>()}' is not a key id: ids look like 0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b; './widgetify keys list' shows them.");
            }
        });
        return id;
    }

    private static (Option<string?> In, Option<DateTimeOffset?> At) ExpiryOptions()
    {
        var expiresIn = new Option<string?>("--expires-in") { Description = "The key stops working after this long, e.g. 30d, 12h, 90m." };
        expiresIn.Validators.Add(r => ValidateDuration(r, "--expires-in", allowZero: false));
        var expiresAt = new Option<DateTimeOffset?>("--expires-at") { Description = "The key stops working at this time (ISO 8601, e.g. 2027-01-31T00:00:00Z)." };
        expiresAt.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<DateTimeOffset?>() is { } at && at <= DateTimeOffset.UtcNow)
            {
                r.AddError($"--expires-at {at:O} is in the past: give a future time, or --expires-in 30d.");
            }
        });
        return (expiresIn, expiresAt);
    }

    private static void OneExpiry(System.CommandLine.Parsing.CommandResult result, Option<string?> expiresIn, Option<DateTimeOffset?> expiresAt)
    {
        if (result.GetResult(expiresIn) is not null && result.GetResult(expiresAt) is not null)
        {
            result.AddError("Give --expires-in or --expires-at, not both.");
        }
    }

    private static DateTimeOffset? Expiry(string? expiresIn, DateTimeOffset? expiresAt) =>
        expiresAt?.ToUniversalTime() ?? (ParseDuration(expiresIn) is { } duration ? DateTimeOffset.UtcNow + duration : null);

    private static void ValidateDuration(System.CommandLine.Parsing.OptionResult result, string name, bool allowZero)
    {
        var text = result.GetValueOrDefault<string?>();
        if (text is not null && (ParseDuration(text) is not { } duration || (!allowZero && duration == TimeSpan.Zero)))
        {
            result.AddError($"{name} '{text}' is not a duration: write a whole number and a unit, s, m, h or d (e.g. 30d, 24h, 90m){(allowZero ? "; 0s for none" : "")}.");
        }
    }

    /// <summary>30d, 24h, 90m, 45s; null when <paramref name="text"/> is null or not one of those.</summary>
    internal static TimeSpan? ParseDuration(string? text)
    {
        if (text is null || Duration().Match(text) is not { Success: true } match
            || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 36_500)
        {
            return null;
        }

        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
    }

    private static string Table(IReadOnlyList<ApiKeyInfo> keys)
    {
        if (keys.Count == 0)
        {
            return "No API keys. Create one with './widgetify keys create --tenant NAME'." + Environment.NewLine;
        }

        string[] header = ["id", "tenant", "role", "prefix", "created", "last used", "expires", "state"];
        var rows = keys.Select(k => new[]
        {
            k.Id.ToString(), k.Tenant, k.Role.ToString().ToLowerInvariant(), k.Prefix, Time(k.CreatedAt), k.LastUsedAt is { } used ? Time(used) : "never",
            k.ExpiresAt is { } expires ? Time(expires) : "never",
            k.State.ToString().ToLowerInvariant() + (k.ReplacedBy is { } by && k.State == ApiKeyState.Active ? $" (replaced by {by.ToString()[..8]}...)" : ""),
        }).ToList();
        var widths = header.Select((h, i) => rows.Max(r => r[i].Length) is var w && w > h.Length ? w : h.Length).ToArray();
        var lines = new[] { header }.Concat(rows).Select(r => string.Join("  ", r.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // For the process's life: the embedded cluster logs through it until the verb's last line (its stop).
    private static readonly ILoggerFactory Logs =
        LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    /// <summary>The database, migrated by the schema's owner when the embedded cluster gives one: the key verbs log in as
    /// the runtime role, which may not change the schema. Only 'create' may make the deployment (a first key before the
    /// first 'up'); list, revoke and rotate work on keys that exist, so a --data-dir without a cluster is refused.</summary>
    private static async Task<DatabaseTarget> OpenAsync(string? databaseUrl, string dataDir, bool existingOnly, CancellationToken cancellationToken)
    {
        var database = await DatabaseTarget.OpenAsync(
            databaseUrl, dataDir, Logs.CreateLogger("widgetify"), cancellationToken, existingOnly: existingOnly);
        try
        {
            await database.MigrateAsOwnerAsync(cancellationToken);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$")]
    private static partial Regex TenantName();

    [GeneratedRegex("^([0-9]{1,6})([smhd])$")]
    private static partial Regex Duration();
}
