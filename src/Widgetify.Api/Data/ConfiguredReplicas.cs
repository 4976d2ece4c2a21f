using System.Globalization;
using Npgsql;

namespace Widgetify.Api.Data;

/// <summary>The standbys named in configuration (<c>Widgetify:Database:Replicas:0:ConnectionString</c>, ...): with
/// <c>--database-url</c> they are whatever the operator runs; <c>./widgetify up --replicas N</c> fills them in for
/// the standbys it starts. An entry may name its standby (<c>...:Name</c>, as <c>up</c> does with <c>standby-1</c>) so
/// that logs, metrics and <c>/api/scaling</c> call it what its host calls it.</summary>
internal static class ConfiguredReplicas
{
    /// <summary>The numbered entries, in number order, each named by its <c>Name</c> or else <c>replica-N</c>.</summary>
    /// <exception cref="InvalidOperationException">An entry has no connection string, or one Npgsql cannot parse; the
    /// message names the setting.</exception>
    public static IReadOnlyList<(string Name, string ConnectionString)> Read(IConfiguration configuration)
    {
        var section = configuration.GetSection($"{WidgetifyOptions.SectionName}:Database:Replicas");
        var entries = new SortedList<int, (string, string)>();
        foreach (var child in section.GetChildren())
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue; // MaxLag and the other routing settings
            }

            var setting = $"{WidgetifyOptions.SectionName}:Database:Replicas:{child.Key}:ConnectionString";
            var connectionString = child["ConnectionString"];
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException($"{setting} is empty: give the standby's Npgsql connection string, or remove the entry.");
            }

            try
            {
                _ = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"{setting} is not an Npgsql connection string ({ex.Message}).", ex);
            }

            var name = child["Name"] is { Length: > 0 } given ? given : $"replica-{number}";
            if (entries.Values.Any(entry => entry.Item1 == name))
            {
                throw new InvalidOperationException(
                    $"{WidgetifyOptions.SectionName}:Database:Replicas:{child.Key}:Name '{name}' is already the name of another standby: give each its own.");
            }

            entries[number] = (name, connectionString);
        }

        return [.. entries.Values];
    }
}
