using System.Text.Json;
using System.Text.Json.Serialization;

namespace Widgetify.Bench.Reporting;

/// <summary>storm.json and scale.json: the whole report, time series included, for plotting and comparing runs.</summary>
internal static class JsonReportWriter
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write<TReport>(TReport report) => JsonSerializer.Serialize(report, Options);

    public static StormReport? Read(string json) => JsonSerializer.Deserialize<StormReport>(json, Options);
}
