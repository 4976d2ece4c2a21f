using System.Text;
using System.Text.Json;
using Widgetify.Deploy.Tests.Infrastructure;
using Widgetify.Deploy.Tests.Prometheus;

namespace Widgetify.Deploy.Tests.Grafana;

/// <summary>deploy/grafana/widgetify-dashboard.json: an importable dashboard whose every query is valid PromQL over
/// metrics an instance really exposes.</summary>
public sealed class GrafanaDashboardTests
{
    private const string DashboardPath = "deploy/grafana/widgetify-dashboard.json";

    private static JsonElement Dashboard()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Repository.PathOf(DashboardPath)));
        return document.RootElement.Clone();
    }

    private static List<(string Panel, string Expression)> Queries()
    {
        var queries = new List<(string, string)>();
        foreach (var panel in Dashboard().GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                queries.Add((panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
            }
        }

        return queries;
    }

    [Fact]
    public void Dashboard_Json_IsADashboard()
    {
        var dashboard = Dashboard();

        dashboard.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        dashboard.GetProperty("uid").GetString().ShouldNotBeNullOrWhiteSpace();
        dashboard.GetProperty("schemaVersion").GetInt32().ShouldBeGreaterThan(30);
        dashboard.GetProperty("panels").GetArrayLength().ShouldBeGreaterThan(0);
        Queries().ShouldNotBeEmpty();
    }

    [Fact]
    public void Dashboard_Datasource_IsTheImportInputEverywhere()
    {
        var dashboard = Dashboard();
        dashboard.GetProperty("__inputs")[0].GetProperty("name").GetString().ShouldBe("DS_PROMETHEUS");

        var datasources = new List<string>();
        Collect(dashboard.GetProperty("panels"), datasources);
        Collect(dashboard.GetProperty("templating"), datasources);

        datasources.ShouldNotBeEmpty();
        datasources.ShouldAllBe(uid => uid == "${DS_PROMETHEUS}");
    }

    [Fact]
    public void Templating_InstanceVariable_IsUsedByPerInstancePanels()
    {
        var variable = Dashboard().GetProperty("templating").GetProperty("list").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == "service_instance_id");

        variable.GetProperty("includeAll").GetBoolean().ShouldBeTrue();
        variable.GetProperty("definition").GetString().ShouldStartWith("label_values(");
        Queries().Count(q => q.Expression.Contains("$service_instance_id", StringComparison.Ordinal)).ShouldBeGreaterThan(5);
    }

    [Fact]
    public void Panels_Titles_CoverWhatAnOnCallEngineerAsks()
    {
        var titles = string.Join('\n', Dashboard().GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("title").GetString()));

        foreach (var topic in new[] { "Request rate", "p50 / p99", "5xx and shed", "Admission limit", "held vs share vs budget",
                     "Waiting for a connection", "Acquire wait p99", "max_connections", "Commits, rollbacks, deadlocks",
                     "Longest open transaction", "Firing alerts", "Replica lag vs MaxLag", "Replication slots: WAL retained",
                     "Scaling actions", "Pool review findings by severity" })
        {
            titles.ShouldContain(topic, Case.Sensitive);
        }
    }

    [Fact]
    public void Queries_Every_UsesOnlyExposedMetricsOrRecordingRules()
    {
        var recorded = RulesFile.Read(Repository.PathOf("deploy/prometheus/widgetify.rules.yml"))
            .Where(r => !r.IsAlert).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var variableQuery = Dashboard().GetProperty("templating").GetProperty("list")[0].GetProperty("definition").GetString()!;
        var unknown =
            from query in Queries().Append(("variable service_instance_id", variableQuery.Replace("label_values(", "(", StringComparison.Ordinal)))
            from name in PromQl.MetricNames(query.Item2)
            where !ExposedMetrics.Names.Contains(name) && !recorded.Contains(name) && !ExposedMetrics.PrometheusOwn.Contains(name)
                  && name != "service_instance_id"
            select $"{query.Item1}: {name}";

        unknown.ShouldBeEmpty("these panels query metrics no Widgetify instance exposes (renamed on one side?)");
    }

    [Fact]
    public void Queries_RequestMetric_LeaveOperatorsRequestsOut()
    {
        // As in the rules: the Users row shows users, not this dashboard's own refreshes or the scrapes behind it.
        var counting =
            from query in Queries()
            from selector in PromQl.RequestSelectorsCountingOperators(query.Expression)
            select $"{query.Panel}: {selector}";

        counting.ShouldBeEmpty($"these panels count operators' requests as users': add {PromQl.UsersOnly}");
    }

    [Fact]
    public async Task Queries_Every_ParsesAsPromQl()
    {
        // promtool parses every rule's expression: the panels' queries, with Grafana's variables filled in, become
        // recording rules of a throwaway rules file.
        var yaml = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var n = 0;
        foreach (var (_, expression) in Queries())
        {
            var promql = expression.Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                .Replace("$service_instance_id", ".*", StringComparison.Ordinal);
            yaml.Append("      - record: dashboard_query_").Append(n++).Append("\n        expr: ")
                .Append(JsonSerializer.Serialize(promql)).Append('\n');
        }

        var path = Path.Combine(Path.GetTempPath(), $"widgetify-dashboard-{Guid.NewGuid():N}.rules.yml");
        await File.WriteAllTextAsync(path, yaml.ToString());
        try
        {
            var result = await Promtool.RunAsync("check", "rules", path);

            result.ShouldSucceed();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RecordingRules_UsedByDashboard_AreTheAlertsInputs()
    {
        // The panels plot what the alerts compare (baseline, burn rates), so an operator sees why an alert fired.
        var queries = string.Join('\n', Queries().Select(q => q.Expression));

        queries.ShouldContain("widgetify:http_request_duration_seconds:p99_1m:baseline");
        queries.ShouldContain("widgetify:slo_errors:ratio_rate1h");
        queries.ShouldContain("ALERTS{");
        PrometheusRulesTests.ExpectedAlerts.Where(a => !queries.Contains(a, StringComparison.Ordinal))
            .ShouldBeEmpty("alerts the alert panels leave out");
    }

    private static void Collect(JsonElement element, List<string> datasources)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "datasource" && property.Value.ValueKind == JsonValueKind.Object)
                    {
                        datasources.Add(property.Value.GetProperty("uid").GetString()!);
                    }
                    else
                    {
                        Collect(property.Value, datasources);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, datasources);
                }

                break;
        }
    }
}
