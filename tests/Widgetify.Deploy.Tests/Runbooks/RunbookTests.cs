using Widgetify.Deploy.Tests.Infrastructure;
using Widgetify.Deploy.Tests.Prometheus;

namespace Widgetify.Deploy.Tests.Runbooks;

/// <summary>docs/runbooks/: one runbook per alert, each with the sections an on-call engineer looks for, all indexed.</summary>
public sealed class RunbookTests
{
    public static TheoryData<string> Alerts => [.. PrometheusRulesTests.ExpectedAlerts];

    [Theory]
    [MemberData(nameof(Alerts))]
    public void Runbook_EveryAlert_ExistsWithItsSections(string alert)
    {
        var path = Repository.PathOf($"docs/runbooks/{alert}.md");
        File.Exists(path).ShouldBeTrue($"{alert} has no runbook at docs/runbooks/{alert}.md");

        var text = File.ReadAllText(path);
        text.ShouldStartWith($"# {alert}");
        foreach (var section in new[] { "## What it means", "## Why it matters", "## Confirm", "## Likely causes", "## What to do", "## What not to do" })
        {
            text.ShouldContain(section, Case.Sensitive, $"{alert}'s runbook");
        }
    }

    [Fact]
    public void Runbooks_EveryAlertInTheRulesFile_HasTheRunbookItLinks()
    {
        var missing = RulesFile.Read(Repository.PathOf("deploy/prometheus/widgetify.rules.yml"))
            .Where(r => r.IsAlert)
            .Select(r => r.Annotations.GetValueOrDefault("runbook_url", "(none)"))
            .Where(url => !File.Exists(Repository.PathOf(url)));

        missing.ShouldBeEmpty();
    }

    [Fact]
    public void Index_ListsEveryRunbook()
    {
        var index = File.ReadAllText(Repository.PathOf("docs/runbooks/README.md"));
        var runbooks = Directory.GetFiles(Repository.PathOf("docs/runbooks"), "*.md")
            .Select(Path.GetFileName).Where(f => f != "README.md");

        runbooks.Where(f => !index.Contains($"]({f})", StringComparison.Ordinal)).ShouldBeEmpty("runbooks missing from the index");
    }
}
