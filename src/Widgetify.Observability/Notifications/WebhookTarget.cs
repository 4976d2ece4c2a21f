namespace Widgetify.Observability.Notifications;

/// <summary>One receiver of alert notifications (an item of <c>Widgetify:Monitoring:Webhooks:Targets</c>).</summary>
public sealed class WebhookTarget
{
    /// <summary>Where to POST: for <see cref="WebhookFormat.Alertmanager"/> either Alertmanager's base URL
    /// (<c>http://alertmanager:9093</c>, to which <c>/api/v2/alerts</c> is appended) or the full API URL.</summary>
    /// <value>Required; an absolute http or https URL.</value>
    public Uri? Url { get; set; }

    /// <summary>The payload the target understands.</summary>
    /// <value>Default <see cref="WebhookFormat.Alertmanager"/>.</value>
    public WebhookFormat Format { get; set; } = WebhookFormat.Alertmanager;

    /// <summary>Sent as <c>Authorization: Bearer ...</c> when set; never logged.</summary>
    /// <value>Default none.</value>
    public string? BearerToken { get; set; }
}
