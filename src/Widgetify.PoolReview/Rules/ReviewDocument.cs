using System.Text;
using System.Text.Json;
using Widgetify.PoolReview.Applied;

namespace Widgetify.PoolReview.Rules;

/// <summary>The review as its stable JSON document (<c>./widgetify review --format json</c> and <c>GET /api/review</c>):
/// <c>{"generatedAt","servers":[...],"instances":N,"findings":[{"severity","server","setting","current","recommended",
/// "reason"}],"applied":[{"setting","server","from","to","at","by","reason"}],"nextReviewAt"}</c>. Written by hand, field
/// by field, so a refactoring of the records cannot rename a field a pipeline reads.</summary>
public static class ReviewDocument
{
    /// <summary>The document of <paramref name="report"/>, indented, UTF-8.</summary>
    /// <param name="report">The review.</param>
    /// <param name="applied">The settings <c>--apply</c> changed, newest first; none when null.</param>
    /// <param name="nextReviewAt">When the service reviews again; null from the CLI.</param>
    public static string Write(ReviewReport report, IReadOnlyList<AppliedSetting>? applied = null, DateTimeOffset? nextReviewAt = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("generatedAt", report.GeneratedAt.ToUniversalTime());
            json.WriteStartArray("servers");
            foreach (var (settings, facts, history) in report.Servers)
            {
                json.WriteStartObject();
                json.WriteString("name", facts.Server);
                json.WriteString("address", facts.Address);
                json.WriteNumber("maxConnections", facts.MaxConnections);
                json.WriteNumber("superuserReservedConnections", facts.SuperuserReservedConnections);
                json.WriteNumber("reservedConnections", facts.ReservedConnections);
                json.WriteNumber("otherClients", facts.OtherClients);
                json.WriteNumber("statementTimeoutMs", facts.StatementTimeoutMs);
                json.WriteNumber("idleInTransactionSessionTimeoutMs", facts.IdleInTransactionSessionTimeoutMs);
                json.WriteNumber("idleSessionTimeoutMs", facts.IdleSessionTimeoutMs);
                json.WriteBoolean("ssl", facts.Ssl);
                WriteNumberOrNull(json, "cpuCores", facts.CpuCores);
                WriteNumberOrNull(json, "maxPoolSize", settings.MaxPoolSize);
                json.WriteNumber("historyMinutes", history?.MinutesCovered ?? 0);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("instances", report.Instances);
            json.WriteStartArray("findings");
            foreach (var finding in report.Findings)
            {
                json.WriteStartObject();
                json.WriteString("severity", SeverityName(finding.Severity));
                json.WriteString("server", finding.Server);
                json.WriteString("setting", finding.Setting);
                WriteValue(json, "current", finding.Current);
                WriteValue(json, "recommended", finding.Recommended);
                json.WriteString("reason", finding.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("applied");
            foreach (var change in applied ?? [])
            {
                json.WriteStartObject();
                json.WriteString("setting", change.Setting);
                json.WriteString("server", change.Server);
                WriteNumberOrNull(json, "from", change.From);
                json.WriteNumber("to", change.To);
                json.WriteString("at", change.At.ToUniversalTime());
                json.WriteString("by", change.By);
                json.WriteString("reason", change.Reason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (nextReviewAt is { } next)
            {
                json.WriteString("nextReviewAt", next.ToUniversalTime());
            }
            else
            {
                json.WriteNull("nextReviewAt");
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The severity as the document and the table spell it: <c>critical</c>, <c>warning</c>, <c>info</c>.</summary>
    public static string SeverityName(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical => "critical",
        FindingSeverity.Warning => "warning",
        _ => "info",
    };

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case int i:
                json.WriteNumber(name, i);
                break;
            case long l:
                json.WriteNumber(name, l);
                break;
            case double d:
                json.WriteNumber(name, d);
                break;
            case bool b:
                json.WriteBoolean(name, b);
                break;
            default:
                json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
