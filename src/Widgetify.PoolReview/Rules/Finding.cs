namespace Widgetify.PoolReview.Rules;

/// <summary>One thing the review found about one setting.</summary>
/// <param name="Severity">How much it matters.</param>
/// <param name="Server">The server it concerns: <c>primary</c> or a standby's name.</param>
/// <param name="Setting">The setting by its full name: <c>Database:MaxPoolSize</c>,
/// <c>postgresql:idle_in_transaction_session_timeout</c>, ...</param>
/// <param name="Current">Its value now: a number where the setting is numeric (seconds, milliseconds or connections,
/// as the setting counts them), else text; null when unset.</param>
/// <param name="Recommended">The value the review recommends, in the same unit; null when it recommends none.</param>
/// <param name="Reason">One sentence with the numbers used.</param>
public sealed record Finding(FindingSeverity Severity, string Server, string Setting, object? Current, object? Recommended, string Reason)
{
    /// <summary>The minutes of recorded history <see cref="Recommended"/> is drawn from; null when it rests on the server's
    /// limits and the settings alone. <c>--apply</c> never applies a value drawn from less than an hour.</summary>
    public int? DrawnFromHistoryMinutes { get; init; }
}
