using System.Text.RegularExpressions;

namespace Widgetify.Deploy.Tests.Infrastructure;

/// <summary>Finds the metric names a PromQL expression selects, so a test can tell when a rule or a panel asks for a
/// metric nobody exports (a rename on one side only). Not a parser: it removes what cannot be a metric name (strings,
/// label matchers, ranges, grouping clauses, numbers, durations, template variables), then keeps the identifiers
/// that are not keywords and not followed by '(' (functions and aggregations).</summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "atan2",
        "inf", "nan",
    };

    /// <summary>The metric names <paramref name="expression"/> selects, in order of first use.</summary>
    public static IReadOnlyList<string> MetricNames(string expression)
    {
        var text = Strings().Replace(expression, " ");
        text = Variables().Replace(text, " ");
        text = Matchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        text = Numbers().Replace(text, " ");
        var names = new List<string>();
        foreach (Match m in Identifiers().Matches(text))
        {
            var followedByCall = text.AsSpan(m.Index + m.Length).TrimStart().StartsWith("(");
            if (!followedByCall && !Keywords.Contains(m.Value) && !names.Contains(m.Value))
            {
                names.Add(m.Value);
            }
        }

        return names;
    }

    /// <summary>The label matcher that leaves operators' and probes' requests out of users' figures: the service tags
    /// them with it on the request metric (<c>TrafficExtensions.UseTrafficTagging</c>); users' series have no such
    /// label, which <c>!=</c> keeps.</summary>
    public const string UsersOnly = "widgetify_traffic!=\"operator\"";

    /// <summary>The selectors of the request metric (<c>http_server_request_duration_seconds_*</c>) in
    /// <paramref name="expression"/> that do not leave operators' requests out with <see cref="UsersOnly"/>.</summary>
    public static IReadOnlyList<string> RequestSelectorsCountingOperators(string expression) =>
        [.. RequestSelectors().Matches(expression).Select(m => m.Value).Where(s => !s.Contains(UsersOnly, StringComparison.Ordinal))];

    // A matcher's value may hold braces (http_route="/w/{id}"): quoted strings are skipped whole.
    [GeneratedRegex(@"http_server_request_duration_seconds_(?:bucket|count|sum)(?:\{(?:""(?:[^""\\]|\\.)*""|[^}""])*\})?")]
    private static partial Regex RequestSelectors();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex Strings();

    // Grafana's $var, ${var}, ${var:format} and $__rate_interval.
    [GeneratedRegex(@"\$\{[^}]*\}|\$\w+")]
    private static partial Regex Variables();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    // Numbers and durations (0.25, 1e-3, 5m, 1h30m).
    [GeneratedRegex(@"(?<![\w:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:(?:ms|[smhdwy])\d*)*(?![\w:])")]
    private static partial Regex Numbers();

    [GeneratedRegex("[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifiers();
}
