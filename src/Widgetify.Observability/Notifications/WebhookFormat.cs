namespace Widgetify.Observability.Notifications;

/// <summary>What a webhook target receives.</summary>
public enum WebhookFormat
{
    /// <summary>Alertmanager's API: a JSON array of alerts POSTed to <c>/api/v2/alerts</c>, firing alerts re-sent
    /// every <see cref="WebhookOptions.ResendInterval"/> as Prometheus does.</summary>
    Alertmanager,

    /// <summary>Each transition as a JSON object (camelCase, enums as strings), POSTed to the URL as is.</summary>
    Json,
}
