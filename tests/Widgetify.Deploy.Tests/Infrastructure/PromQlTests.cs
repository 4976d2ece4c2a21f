namespace Widgetify.Deploy.Tests.Infrastructure;

public sealed class PromQlTests
{
    [Theory]
    [InlineData("sum by (service_name, le) (rate(http_server_request_duration_seconds_bucket{http_route=\"/w/{id}\"}[5m]))", "http_server_request_duration_seconds_bucket")]
    [InlineData("a:b:c > 3 * quantile_over_time(0.5, a:b:c[6h] offset 5m) and a:b:c > 0.25", "a:b:c")]
    [InlineData("x / on (job, instance) group_left (pod) y unless z", "x,y,z")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(m_bucket{i=~\"$service_instance_id\"}[$__rate_interval])))", "m_bucket")]
    [InlineData("max(rate(postgresql_commits_total[1h30m])) / 1e-3 > bool 2", "postgresql_commits_total")]
    [InlineData("label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\")", "up")]
    public void MetricNames_Expression_FindsOnlyTheSelectedMetrics(string expression, string expected)
    {
        var names = PromQl.MetricNames(expression);

        names.ShouldBe(expected.Split(','));
    }

    [Theory]
    [InlineData("sum(rate(http_server_request_duration_seconds_count[5m]))", "http_server_request_duration_seconds_count")]
    [InlineData("sum(rate(http_server_request_duration_seconds_count{http_response_status_code=~\"5..\"}[5m]))",
        "http_server_request_duration_seconds_count{http_response_status_code=~\"5..\"}")]
    [InlineData("rate(http_server_request_duration_seconds_bucket{http_route=\"/w/{id}\", widgetify_traffic!=\"operator\"}[1m])", "")]
    [InlineData("rate(http_server_request_duration_seconds_sum{widgetify_traffic=\"operator\"}[1m]) / widgetify:x", "http_server_request_duration_seconds_sum{widgetify_traffic=\"operator\"}")]
    public void RequestSelectorsCountingOperators_Expression_FindsTheSelectorsWithoutTheUsersOnlyMatcher(string expression, string expected)
    {
        var selectors = PromQl.RequestSelectorsCountingOperators(expression);

        selectors.ShouldBe(expected.Length == 0 ? [] : [expected]);
    }
}
