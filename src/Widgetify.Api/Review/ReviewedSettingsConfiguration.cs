using System.Globalization;

namespace Widgetify.Api.Review;

/// <summary>The configuration source of the settings <c>./widgetify review --apply</c> put into effect (from PostgreSQL
/// and <c>settings.reviewed.json</c>), added last so they win over appsettings and the environment. It holds what
/// <see cref="AppliedSettingsWatcher"/> last read; setting new values reloads the configuration, as a changed
/// appsettings.json would.</summary>
internal sealed class ReviewedSettingsSource : IConfigurationSource
{
    /// <summary>The one provider of this source (the configuration builds it once; the watcher feeds it).</summary>
    public ReviewedSettingsProvider Provider { get; } = new();

    public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
}

/// <summary>The values of <see cref="ReviewedSettingsSource"/>.</summary>
internal sealed class ReviewedSettingsProvider : ConfigurationProvider
{
    /// <summary>Replaces the values and, when they changed, reloads the configuration.</summary>
    /// <param name="values">Whole numbers by configuration key (<c>Widgetify:Database:MaxPoolSize</c>).</param>
    /// <returns>Whether anything changed.</returns>
    public bool Set(IReadOnlyDictionary<string, int> values)
    {
        var next = values.ToDictionary(v => v.Key, v => (string?)v.Value.ToString(CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
        if (next.Count == Data.Count && next.All(v => Data.TryGetValue(v.Key, out var old) && old == v.Value))
        {
            return false;
        }

        Data = next;
        OnReload();
        return true;
    }
}
