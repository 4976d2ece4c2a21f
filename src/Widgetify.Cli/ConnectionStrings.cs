using Npgsql;

namespace Widgetify.Cli;

/// <summary>Accepts both connection string forms operators use: Npgsql's key=value and postgres:// URLs.</summary>
internal static class ConnectionStrings
{
    /// <summary>The Npgsql connection string of <paramref name="value"/> (--database-url).</summary>
    /// <exception cref="CliFailureException">Neither form, or a keyword or setting Npgsql does not know: the message says
    /// what to pass (Npgsql's own, "Format of the initialization string...", does not).</exception>
    public static string Normalize(string value)
    {
        try
        {
            return NormalizeCore(value);
        }
        catch (ArgumentException ex)
        {
            throw new CliFailureException(
                "'--database-url' is neither a postgres:// URL nor a connection string Npgsql accepts: pass " +
                "postgres://user:password@host:port/database[?sslmode=require] or Host=HOST;Port=PORT;Database=DB;Username=USER.", ex);
        }
    }

    private static string NormalizeCore(string value)
    {
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(value).ConnectionString; // validates the keywords
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'--database-url' is not a valid URL; expected postgres://user:password@host:port/database.");
        }

        var csb = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : null,
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            csb.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            csb.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var setting = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase))
            {
                csb.SslMode = ParseSslMode(setting);
            }
            else
            {
                csb[key] = setting; // any other Npgsql keyword, e.g. ?Timeout=5
            }
        }

        return csb.ConnectionString;
    }

    // libpq's sslmode values, as Npgsql names them.
    private static SslMode ParseSslMode(string value) => value switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new ArgumentException($"Unknown sslmode '{value}' in '--database-url': use disable, allow, prefer, require, verify-ca or verify-full."),
    };
}
