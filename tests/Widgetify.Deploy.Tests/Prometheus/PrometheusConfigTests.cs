namespace Widgetify.Deploy.Tests.Prometheus;

/// <summary>deploy/prometheus/prometheus.yml, the example configuration: valid, and loads the rules file.</summary>
public sealed class PrometheusConfigTests
{
    [Fact]
    public async Task CheckConfig_ExampleConfig_Passes()
    {
        // Installed as an operator would: beside its rules and the metrics token file it names (promtool checks it exists).
        var folder = Directory.CreateTempSubdirectory("widgetify-prometheus-");
        try
        {
            foreach (var file in new[] { "prometheus.yml", "widgetify.rules.yml" })
            {
                File.Copy(Repository.PathOf($"deploy/prometheus/{file}"), Path.Combine(folder.FullName, file));
            }

            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "widgetify-metrics-token"), "a-metrics-token-of-some-length\n");

            var result = await Promtool.RunAsync("check", "config", Path.Combine(folder.FullName, "prometheus.yml"));

            result.ShouldSucceed();
            result.Output.ShouldContain("widgetify.rules.yml", Case.Sensitive, "the example config should load the rules file");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void ScrapeConfig_WidgetifyJob_SendsTheMetricsTokenFromAFile()
    {
        var config = File.ReadAllText(Repository.PathOf("deploy/prometheus/prometheus.yml"));

        config.ShouldContain("authorization:\n      type: Bearer\n      credentials_file: widgetify-metrics-token");
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
