using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Widgetify.PoolReview.Applied;

/// <summary>The file <c>settings.reviewed.json</c> under a data folder: the applied settings in appsettings form, which
/// a single <c>./widgetify up</c> reads (<see cref="PoolReviewOptions.SettingsFile"/>) and an operator can read, edit or
/// delete. Comments (which .NET's JSON configuration skips) say who applied what, when, from what and why.</summary>
public static class ReviewedSettingsFile
{
    /// <summary>The file's name in a data folder.</summary>
    public const string FileName = "settings.reviewed.json";

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="inEffect"/> to <paramref name="path"/> atomically (a reader sees the old file or the
    /// new one, never half of one).</summary>
    /// <param name="path">The file.</param>
    /// <param name="inEffect">Every applied setting in effect, one value each.</param>
    public static void Write(string path, IReadOnlyList<AppliedSetting> inEffect)
    {
        ArgumentNullException.ThrowIfNull(inEffect);
        var text = new StringBuilder();
        text.AppendLine("// Written by ./widgetify review --apply: settings the pool review recommended and the service applies without a restart.");
        text.AppendLine("// These values win over appsettings.json and the environment; delete the file (and the rows of widgetify_applied_settings) to undo.");
        foreach (var setting in inEffect)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"// {setting.Setting} on {setting.Server}: {setting.From?.ToString(CultureInfo.InvariantCulture) ?? "not set"} -> {setting.To}, applied {setting.At.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z by {setting.By}. {OneLine(setting.Reason)}");
        }

        // Nested objects, as appsettings.json: Widgetify:Database:MaxPoolSize -> {"Widgetify":{"Database":{"MaxPoolSize":25}}}.
        var root = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var setting in inEffect)
        {
            var parts = setting.ConfigurationKey.Split(':');
            var node = root;
            foreach (var part in parts[..^1])
            {
                if (!node.TryGetValue(part, out var child))
                {
                    child = new SortedDictionary<string, object>(StringComparer.Ordinal);
                    node[part] = child;
                }

                node = (SortedDictionary<string, object>)child;
            }

            node[parts[^1]] = setting.To;
        }

        text.AppendLine(System.Text.Json.JsonSerializer.Serialize(root, Indented));
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{FileName}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The run-time settings in <paramref name="path"/> by configuration key (others are reported in
    /// <paramref name="ignored"/>); empty when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not JSON, or a value is not a whole number of at least 1.</exception>
    public static IReadOnlyDictionary<string, int> Read(string path, out IReadOnlyList<string> ignored)
    {
        var found = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var skipped = new List<string>();
        ignored = skipped;
        if (!File.Exists(path))
        {
            return found;
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: true, reloadOnChange: false).Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            // The JSON provider wraps the parser's error in an InvalidDataException that names the file alone; the reason
            // (where the JSON breaks, or that it is no object) is the innermost exception's, and the watcher logs only this.
            throw new InvalidDataException($"{path} is not a JSON object of settings: {ex.GetBaseException().Message}", ex);
        }

        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null)
            {
                continue; // a section, not a value
            }

            if (!RunTimeSettings.ConfigurationKeys.Contains(key))
            {
                skipped.Add(key);
                continue;
            }

            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                throw new InvalidDataException($"{path}: {key} is '{value}', not a whole number of at least 1.");
            }

            found[key] = number;
        }

        return found;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
