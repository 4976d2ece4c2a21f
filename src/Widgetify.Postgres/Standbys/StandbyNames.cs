using System.Globalization;
using System.Text.RegularExpressions;

namespace Widgetify.Postgres.Standbys;

/// <summary>Names, folders and slots of standbys: one place, so the layout and the slot names cannot drift apart.</summary>
internal static partial class StandbyNames
{
    /// <summary>The folder under the primary's root that holds one folder per standby.</summary>
    public const string FolderName = "standbys";

    /// <summary>What PostgreSQL's own tools look for: its presence makes a data directory a standby.</summary>
    public const string SignalFileName = "standby.signal";

    private const string NumberedPrefix = "standby-";
    private const string SlotPrefix = "widgetify_";

    /// <summary>Numbered names (<c>standby-1</c>) are the ones <see cref="LocalStandbys"/> manages.</summary>
    public static string Numbered(int number) => NumberedPrefix + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>The number of a name such as <c>standby-3</c>; null for any other name.</summary>
    public static int? NumberOf(string name) =>
        name.StartsWith(NumberedPrefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(NumberedPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
        && number > 0
        && Numbered(number) == name
            ? number
            : null;

    /// <summary>
    /// Slot names allow lowercase letters, digits and '_' only; names allow '-' but not '_', so that two names
    /// never map to the same slot.
    /// </summary>
    public static string SlotName(string name) => SlotPrefix + name.Replace('-', '_');

    /// <summary>The standby a slot of ours belongs to; null for any other slot.</summary>
    public static string? NameOfSlot(string slotName) =>
        slotName.StartsWith(SlotPrefix, StringComparison.Ordinal) ? slotName[SlotPrefix.Length..].Replace('_', '-') : null;

    /// <summary>The prefix of every slot made for a standby.</summary>
    public static string SlotNamePrefix => SlotPrefix;

    /// <summary>The standby's own root folder (PGDATA, logs, credentials, owner.pid), like the primary's.</summary>
    public static string RootOf(string primaryRoot, string name) => Path.Combine(primaryRoot, FolderName, name);

    /// <summary>Throws unless <paramref name="name"/> can be a folder and, prefixed, a slot name.</summary>
    public static void Validate(string name, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (!ValidName().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a standby name: use 1 to 48 lowercase letters, digits and '-', starting with a letter or digit.",
                parameterName);
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,47}$")]
    private static partial Regex ValidName();
}
