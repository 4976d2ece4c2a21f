using System.Text.Json;
using Widgetify.Api.Apis.KindConfigs;
using Widgetify.Api.Data;

namespace Widgetify.Api.Tests.Apis.KindConfigs;

/// <summary>The rules as a function, for what never goes through the API: the demo tenant's widgets.</summary>
public sealed class KindConfigRulesTests
{
    [Fact]
    public void Validate_EveryDemoWidget_FollowsItsKindsRules()
    {
        foreach (var draft in DemoData.Generate(10))
        {
            var errors = new Dictionary<string, string[]>();
            using var config = JsonDocument.Parse(draft.ConfigJson);

            KindConfigRules.Validate(draft.Kind, config.RootElement, errors);

            errors.ShouldBeEmpty($"{draft.Kind} {draft.ConfigJson}");
        }
    }

    [Fact]
    public void Validate_SeveralBrokenRules_NamesEachField()
    {
        var errors = new Dictionary<string, string[]>();
        using var config = JsonDocument.Parse("""{"question":"","options":["a"],"closesAt":"soon","extra":1}""");

        KindConfigRules.Validate("poll", config.RootElement, errors);

        errors.Keys.ShouldBe(["config.question", "config.options", "config.closesAt", "config.extra"], ignoreOrder: true);
    }
}
