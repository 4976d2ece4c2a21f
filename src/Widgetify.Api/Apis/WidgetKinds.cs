namespace Widgetify.Api.Apis;

/// <summary>The kinds of widget Widgetify renders.</summary>
internal static class WidgetKinds
{
    public static readonly IReadOnlyList<string> All = ["counter", "poll", "banner", "clock", "weather"];

    public static bool IsKnown(string kind) => All.Contains(kind, StringComparer.Ordinal);

    public static string Describe() => string.Join(", ", All);
}
