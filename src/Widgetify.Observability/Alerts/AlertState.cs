namespace Widgetify.Observability.Alerts;

/// <summary>Where an alert is in its lifecycle (Prometheus's: a condition must hold for the rule's duration before it fires).</summary>
public enum AlertState
{
    /// <summary>The condition does not hold.</summary>
    Inactive,

    /// <summary>The condition holds, not yet for the rule's duration.</summary>
    Pending,

    /// <summary>The condition has held for the rule's duration: operators are notified.</summary>
    Firing,

    /// <summary>It fired and its condition no longer holds.</summary>
    Resolved,
}
