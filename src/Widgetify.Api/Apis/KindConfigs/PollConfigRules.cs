using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>A poll: <c>question</c> (required), <c>options</c> (2 to 20 distinct non-empty strings, required),
/// <c>closesAt</c> (optional ISO 8601 date-time with an offset), <c>hideResultsUntilClosed</c> (optional boolean).
/// Options are distinct after trimming and ignoring case: "Yes" and " yes" would split one answer's votes in two.</summary>
internal static partial class PollConfigRules
{
    public const int MinOptions = 2;
    public const int MaxOptions = 20;
    public const int MaxQuestionLength = 300;
    public const int MaxOptionLength = 100;

    public static void Validate(ConfigFields fields)
    {
        fields.String("question", MaxQuestionLength, required: true, allowEmpty: false);
        ValidateOptions(fields);
        ValidateClosesAt(fields);
        if (fields.Get("hideResultsUntilClosed") is { } hide && hide.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            fields.Error("hideResultsUntilClosed", $"Must be true or false, not {WidgetInputReader.Article(hide.ValueKind)}.");
        }

        fields.RefuseUnknown("poll");
    }

    private static void ValidateOptions(ConfigFields fields)
    {
        var expected = string.Create(CultureInfo.InvariantCulture,
            $"an array of {MinOptions} to {MaxOptions} distinct non-empty strings of at most {MaxOptionLength} characters, such as [\"Tabs\",\"Spaces\"]");
        if (fields.Get("options") is not { } options)
        {
            fields.Error("options", $"Required: {expected}.");
            return;
        }

        if (options.ValueKind != JsonValueKind.Array)
        {
            fields.Error("options", $"Must be {expected}, not {WidgetInputReader.Article(options.ValueKind)}.");
            return;
        }

        var count = options.GetArrayLength();
        if (count is < MinOptions or > MaxOptions)
        {
            fields.Error("options", string.Create(CultureInfo.InvariantCulture, $"Must have {MinOptions} to {MaxOptions} options; got {count}."));
            return;
        }

        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var option in options.EnumerateArray())
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"Option {index}");
            if (option.ValueKind != JsonValueKind.String)
            {
                fields.Error("options", $"{at} must be a string, not {WidgetInputReader.Article(option.ValueKind)}.");
                return;
            }

            var text = option.GetString()!.Trim();
            if (text.Length == 0)
            {
                fields.Error("options", $"{at} is empty: every option needs text.");
                return;
            }

            if (text.EnumerateRunes().Count() > MaxOptionLength)
            {
                fields.Error("options", string.Create(CultureInfo.InvariantCulture, $"{at} is longer than {MaxOptionLength} characters."));
                return;
            }

            if (!seen.TryAdd(text, index))
            {
                fields.Error("options", string.Create(CultureInfo.InvariantCulture,
                    $"{at} repeats option {seen[text]} ('{text}'); options must differ after trimming spaces and ignoring case."));
                return;
            }

            index++;
        }
    }

    private static void ValidateClosesAt(ConfigFields fields)
    {
        if (fields.Get("closesAt") is not { } closesAt)
        {
            return;
        }

        // An offset is required: a time without one means a different instant on every server.
        if (closesAt.ValueKind != JsonValueKind.String || !closesAt.TryGetDateTimeOffset(out _) || !EndsWithOffset().IsMatch(closesAt.GetString()!))
        {
            fields.Error("closesAt", "Must be an ISO 8601 date-time with a time zone offset, such as \"2026-12-31T18:00:00Z\" or \"2026-12-31T19:00:00+01:00\".");
        }
    }

    [GeneratedRegex(@"T.*(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex EndsWithOffset();
}
