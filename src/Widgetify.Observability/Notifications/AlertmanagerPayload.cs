using System.Globalization;
using System.Text;
using System.Text.Json;
using Widgetify.Observability.Alerts;

namespace Widgetify.Observability.Notifications;

/// <summary>Alerts in the body of Alertmanager's <c>POST /api/v2/alerts</c>: labels identify an alert (the same labels
/// re-sent update it), annotations describe it, <c>endsAt</c> in the past resolves it.</summary>
internal sealed class AlertmanagerPayload
{
    private readonly KeyValuePair<string, string>[] _labels;
    private readonly string? _externalUrl;

    /// <param name="instanceLabels">This instance's labels (service_name, service_instance_id), added to every alert.</param>
    /// <param name="externalUrl">The service's public base URL, or null.</param>
    public AlertmanagerPayload(IReadOnlyDictionary<string, string> instanceLabels, string? externalUrl)
    {
        var service = instanceLabels.TryGetValue("service_name", out var name) ? name : "widgetify";
        _labels = [new("service", service), .. instanceLabels.Select(l => new KeyValuePair<string, string>(LabelName(l.Key), l.Value))];
        _externalUrl = externalUrl?.TrimEnd('/');
    }

    /// <summary>The API URL: <paramref name="configured"/> if it already names it, else the base URL plus
    /// <c>/api/v2/alerts</c>.</summary>
    public static Uri ApiUrl(Uri configured)
    {
        var path = configured.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api/v2/alerts", StringComparison.Ordinal))
        {
            return configured;
        }

        return new UriBuilder(configured) { Path = path + "/api/v2/alerts" }.Uri;
    }

    /// <summary>The JSON array of <paramref name="alerts"/>; each resolved one carries its <c>endsAt</c>.</summary>
    /// <param name="alerts">Each alert, with when it ended if it did.</param>
    public byte[] Serialize(IEnumerable<(AlertSnapshot Alert, DateTimeOffset? EndsAt)> alerts)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (alert, endsAt) in alerts)
            {
                Write(json, alert, endsAt);
            }

            json.WriteEndArray();
        }

        return buffer.ToArray();
    }

    private void Write(Utf8JsonWriter json, AlertSnapshot alert, DateTimeOffset? endsAt)
    {
        json.WriteStartObject();
        json.WriteStartObject("labels");
        json.WriteString("alertname", alert.Name);
        json.WriteString("severity", SeverityLabel(alert.Severity));
        foreach (var (name, value) in _labels)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
        json.WriteStartObject("annotations");
        json.WriteString("summary", alert.Summary);
        json.WriteString("description", AlertText.Values(alert.Values));
        json.WriteString("runbook_url", _externalUrl is null ? alert.Runbook : $"{_externalUrl}/{alert.Runbook}");
        json.WriteEndObject();
        json.WriteString("startsAt", Rfc3339(alert.FiringSince ?? alert.PendingSince ?? endsAt ?? DateTimeOffset.UnixEpoch));
        if (endsAt is { } end)
        {
            json.WriteString("endsAt", Rfc3339(end));
        }

        if (_externalUrl is not null)
        {
            json.WriteString("generatorURL", _externalUrl + "/api/alerts");
        }

        json.WriteEndObject();
    }

    /// <summary>The label value Alertmanager routes on: lowercase, as Prometheus rules write it.</summary>
    internal static string SeverityLabel(AlertSeverity severity) => severity == AlertSeverity.Page ? "page" : "ticket";

    private static string Rfc3339(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Prometheus label names are [a-zA-Z_][a-zA-Z0-9_]*: "service.instance.id" becomes "service_instance_id".</summary>
    private static string LabelName(string name)
    {
        var label = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            label.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        if (label.Length == 0 || char.IsAsciiDigit(label[0]))
        {
            label.Insert(0, '_');
        }

        return label.ToString();
    }
}
