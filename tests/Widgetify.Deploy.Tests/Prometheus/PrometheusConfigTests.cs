namespace Widgetify.Deploy.Tests.Prometheus;

/// <summary>deploy/prometheus/prometheus.yml, the example configuration: valid, and loads the rules file.</summary>
public sealed class PrometheusConfigTests
{
    [Fact]
    public async Task CheckConfig_ExampleConfig_Passes()
    {
        var result = await Promtool.RunAsync("check", "config", "deploy/prometheus/prometheus.yml");

        result.ShouldSucceed();
        result.Output.ShouldContain("widgetify.rules.yml", Case.Sensitive, "the example config should load the rules file");
    }

    [Fact]
    public void ScrapeConfig_WidgetifyJob_IsTheJobTheRulesJoinOn()
    {
        var config = File.ReadAllText(Repository.PathOf("deploy/prometheus/prometheus.yml"));
        var rules = File.ReadAllText(Repository.PathOf("deploy/prometheus/widgetify.rules.yml"));

        config.ShouldContain("job_name: widgetify\n");
        config.ShouldContain("metrics_path: /metrics");
        rules.ShouldContain("up{job=\"widgetify\"}");
    }
}
