namespace Widgetify.Deploy.Tests.Prometheus;

/// <summary>deploy/prometheus/tests/*.yml, the promtool unit tests of the rules: each passes, and together they cover
/// every alert, including the replay of the 15 February 2024 outage.</summary>
public sealed class PrometheusRuleTestsTests
{
    private const string TestsDirectory = "deploy/prometheus/tests";

    public static TheoryData<string> TestFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Directory.GetFiles(Repository.PathOf(TestsDirectory), "*.yml").Order(StringComparer.Ordinal))
            {
                data.Add($"{TestsDirectory}/{Path.GetFileName(file)}");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TestFiles))]
    public async Task TestRules_File_Passes(string testFile)
    {
        var result = await Promtool.RunAsync("test", "rules", testFile);

        result.ShouldSucceed();
    }

    [Fact]
    public void TestFiles_Together_CoverEveryAlert()
    {
        var tested = Directory.GetFiles(Repository.PathOf(TestsDirectory), "*.yml").SelectMany(File.ReadAllLines)
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("alertname:", StringComparison.Ordinal))
            .Select(l => l["alertname:".Length..].Trim())
            .ToHashSet(StringComparer.Ordinal);

        PrometheusRulesTests.ExpectedAlerts.Where(a => !tested.Contains(a)).ShouldBeEmpty("alerts without a promtool test");
    }

    [Fact]
    public void Feb15Replay_AtOnsetPlusFiveMinutes_AssertsTheAlertsThatMustFire()
    {
        var replay = File.ReadAllText(Repository.PathOf($"{TestsDirectory}/feb15_replay.yml"));

        // The replay's own assertions run in TestRules_File_Passes; this pins that they stay in the file.
        foreach (var alert in new[] { "ResponseTimeSpike", "DbConnectionsNearLimit", "ErrorBudgetBurn", "PoolSaturation", "ConnectionWaits" })
        {
            replay.ShouldContain($"eval_time: 365m\n        alertname: {alert}\n        exp_alerts:\n          - exp_labels:",
                Case.Sensitive, $"the replay should assert that {alert} fires five minutes after the onset");
        }

        replay.ShouldContain("count_over_time(ALERTS[359m])", Case.Sensitive, "the replay should assert nothing fired before the onset");
    }
}
