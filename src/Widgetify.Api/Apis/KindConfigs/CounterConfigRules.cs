namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>A counter: <c>label</c> (optional, "views" when absent), shown after the count.</summary>
internal static class CounterConfigRules
{
    public static void Validate(ConfigFields fields)
    {
        fields.String("label", maxLength: int.MaxValue); // bounded by the config's 16 KiB
        fields.RefuseUnknown("counter");
    }
}
