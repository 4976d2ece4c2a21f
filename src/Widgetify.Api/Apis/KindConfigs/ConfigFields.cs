using System.Globalization;
using System.Text.Json;

namespace Widgetify.Api.Apis.KindConfigs;

/// <summary>Reads one kind's config field by field and records what is wrong under <c>config.field</c>. A field the kind
/// does not know is refused rather than stored: a typo (<c>timezone</c> for <c>timeZone</c>) would otherwise be
/// accepted and silently ignored, and the owner would never learn why the clock shows UTC.</summary>
internal sealed class ConfigFields(JsonElement config, Dictionary<string, string[]> errors)
{
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>The field's value, or null when it is absent or JSON null (null means "not set").</summary>
    public JsonElement? Get(string field)
    {
        _known.Add(field);
        return config.ValueKind == JsonValueKind.Object && config.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;
    }

    /// <summary>A string field of at most <paramref name="maxLength"/> characters; null when absent (an error when
    /// <paramref name="required"/>) or invalid. <paramref name="allowEmpty"/> false refuses empty and white space.</summary>
    public string? String(string field, int maxLength, bool required = false, bool allowEmpty = true)
    {
        if (Get(field) is not { } value)
        {
            if (required)
            {
                Error(field, string.Create(CultureInfo.InvariantCulture, $"Required: a non-empty string of at most {maxLength} characters."));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(field, $"Must be a string, not {WidgetInputReader.Article(value.ValueKind)}.");
            return null;
        }

        var text = value.GetString()!;
        if (!allowEmpty && string.IsNullOrWhiteSpace(text))
        {
            Error(field, "Must not be empty or only white space.");
            return null;
        }

        var length = text.EnumerateRunes().Count();
        if (length > maxLength)
        {
            Error(field, string.Create(CultureInfo.InvariantCulture, $"Must be at most {maxLength} characters; got {length}."));
            return null;
        }

        return text;
    }

    /// <summary>Records what is wrong with <paramref name="field"/> (the first message wins: one fix at a time).</summary>
    public void Error(string field, string message) => errors.TryAdd("config." + field, [message]);

    /// <summary>Refuses every field that no rule asked for; call after reading the kind's fields.</summary>
    public void RefuseUnknown(string kind)
    {
        if (config.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var known = string.Join(", ", _known.Order(StringComparer.Ordinal).Select(f => $"'{f}'"));
        foreach (var property in config.EnumerateObject().Where(p => !_known.Contains(p.Name)))
        {
            Error(property.Name, $"Unknown field: a {kind}'s config has {known}.");
        }
    }
}
