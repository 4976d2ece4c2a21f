namespace Widgetify.Observability.Alerts;

/// <summary>How urgently a human must act (the SRE workbook's page/ticket split).</summary>
public enum AlertSeverity
{
    /// <summary>Act now: users are hurt or about to be.</summary>
    Page,

    /// <summary>Act within the day.</summary>
    Ticket,
}
