using System.Text.RegularExpressions;

namespace Widgetify.Deploy.Tests.Infrastructure;

/// <summary>One rule of a Prometheus rules file.</summary>
/// <param name="IsAlert">An alerting rule (else a recording rule).</param>
/// <param name="Name">The alert's or the recorded series' name.</param>
/// <param name="Expression">Its PromQL.</param>
/// <param name="Labels">The labels it adds.</param>
/// <param name="Annotations">Its annotations (alerts only).</param>
public sealed record PrometheusRule(
    bool IsAlert, string Name, string Expression, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations)
{
    /// <summary>The PromQL that annotation templates run with <c>query</c> (their <c>printf</c> format strings).</summary>
    public IEnumerable<string> TemplateQueries =>
        Annotations.Values.SelectMany(a => RulesFile.TemplateQueryPattern().Matches(a).Select(m => m.Groups[1].Value));
}

/// <summary>Reads the rules out of <c>widgetify.rules.yml</c>. The repository has no YAML library and this file uses a
/// small subset of YAML (block mappings, plain, quoted, '|' and '>-' scalars), so this reads that subset; a test
/// checks it finds as many rules as promtool does, so a construct it misreads cannot go unnoticed.</summary>
public static partial class RulesFile
{
    /// <summary>Parses the file at <paramref name="path"/>.</summary>
    public static IReadOnlyList<PrometheusRule> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !l.TrimStart().StartsWith('#')).ToArray();
        var rules = new List<PrometheusRule>();
        for (var i = 0; i < lines.Length; i++)
        {
            var start = RuleStart().Match(lines[i]);
            if (!start.Success)
            {
                continue;
            }

            var keyIndent = start.Groups[1].Length + 2;
            var end = i + 1;
            while (end < lines.Length && (lines[end].Trim().Length == 0 || Indent(lines[end]) >= keyIndent))
            {
                end++;
            }

            var body = Mapping(lines, i + 1, end, keyIndent);
            var labels = Mapping(lines, Child(lines, i + 1, end, keyIndent, "labels"), end, keyIndent + 2);
            var annotations = Mapping(lines, Child(lines, i + 1, end, keyIndent, "annotations"), end, keyIndent + 2);
            rules.Add(new PrometheusRule(start.Groups[2].Value == "alert", Unquote(start.Groups[3].Value.Trim()),
                body.GetValueOrDefault("expr", ""), labels, annotations));
            i = end - 1;
        }

        return rules;
    }

    [GeneratedRegex("printf \"([^\"]*)\"[^}]*\\|\\s*query")]
    internal static partial Regex TemplateQueryPattern();

    private static int Child(string[] lines, int from, int to, int indent, string key)
    {
        for (var i = from; i < to; i++)
        {
            if (Indent(lines[i]) == indent && lines[i].Trim() == key + ":")
            {
                return i + 1;
            }
        }

        return to;
    }

    // The scalar entries "key: value" at exactly `indent`, from `from` until a line less indented.
    private static Dictionary<string, string> Mapping(string[] lines, int from, int to, int indent)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = from; i < to; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            if (Indent(lines[i]) < indent)
            {
                break;
            }

            var entry = Entry().Match(lines[i]);
            if (Indent(lines[i]) != indent || !entry.Success)
            {
                continue;
            }

            var value = entry.Groups[2].Value.Trim();
            if (value is "|" or ">-" or ">" or "|-")
            {
                var block = new List<string>();
                while (i + 1 < to && (lines[i + 1].Trim().Length == 0 || Indent(lines[i + 1]) > indent))
                {
                    block.Add(lines[++i].Trim());
                }

                value = string.Join(value.StartsWith('|') ? "\n" : " ", block).Trim();
            }
            else
            {
                value = Unquote(value);
            }

            map[entry.Groups[1].Value] = value;
        }

        return map;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal)
        : value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'", StringComparison.Ordinal)
        : value;

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    [GeneratedRegex(@"^(\s*)- (alert|record):\s*(.+)$")]
    private static partial Regex RuleStart();

    [GeneratedRegex(@"^\s*([A-Za-z_][\w]*):\s*(.*)$")]
    private static partial Regex Entry();
}
