using System.Globalization;
using Npgsql;

namespace Widgetify.Api.RateLimiting;

/// <summary>A write the usage trigger refused: which quota, what the tenant used before the write, and the limit.</summary>
internal sealed record QuotaBreach(RejectionKind Kind, long Used, long Limit)
{
    /// <summary>The trigger's refusal (SQLSTATE WQ001 widgets, WQ002 stored bytes; the message ends in "used,limit"), or
    /// null for any other error.</summary>
    public static QuotaBreach? From(PostgresException exception)
    {
        var kind = exception.SqlState switch
        {
            "WQ001" => RejectionKind.QuotaWidgets,
            "WQ002" => RejectionKind.QuotaBytes,
            _ => (RejectionKind?)null,
        };
        var parts = exception.MessageText[(exception.MessageText.LastIndexOf(' ') + 1)..].Split(',');
        return kind is { } k && parts is [var used, var limit]
            ? new QuotaBreach(k, long.Parse(used, CultureInfo.InvariantCulture), long.Parse(limit, CultureInfo.InvariantCulture))
            : null;
    }
}
