namespace Widgetify.PoolReview.Applied;

/// <summary>One setting <c>./widgetify review --apply</c> changed: what it was, what it became, when, by whom and why.</summary>
/// <param name="Setting">The setting by its full name under <c>Widgetify</c>: <c>Database:MaxPoolSize</c>.</param>
/// <param name="Server">The server it concerns: <c>primary</c>.</param>
/// <param name="From">The value the service ran with before; null when nothing set it (the pool followed the budget).</param>
/// <param name="To">The value applied.</param>
/// <param name="At">When it was applied (the database's clock).</param>
/// <param name="By">Who applied it: the operating system user and host that ran <c>--apply</c>.</param>
/// <param name="Reason">The finding's reason, with the numbers it rests on.</param>
public sealed record AppliedSetting(string Setting, string Server, int? From, int To, DateTimeOffset At, string By, string Reason)
{
    /// <summary>The configuration key the service binds it from.</summary>
    public string ConfigurationKey => RunTimeSettings.ConfigurationKey(Setting);
}
