namespace Widgetify.Scaling.Law;

/// <summary>The previous scaling action, as the law needs it: when it ended, and whether it did what it was asked.</summary>
/// <param name="At">When it completed (or, for a new leader, when the table says it did).</param>
/// <param name="Succeeded">Whether the provider reported success.</param>
internal readonly record struct LastAction(DateTimeOffset At, bool Succeeded);
