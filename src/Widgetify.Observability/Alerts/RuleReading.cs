namespace Widgetify.Observability.Alerts;

/// <summary>What a rule read from the signals at one evaluation.</summary>
/// <param name="Holds">Whether its condition holds.</param>
/// <param name="Severity">The severity of the condition met (or the rule's usual one when none is).</param>
/// <param name="Summary">One sentence with the numbers, true whether or not the condition holds.</param>
/// <param name="Values">The numbers, by snake_case name with unit; empty when there was nothing to read.</param>
internal readonly record struct RuleReading(bool Holds, AlertSeverity Severity, string Summary, IReadOnlyDictionary<string, double> Values);
