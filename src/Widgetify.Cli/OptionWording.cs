using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Reflection;

namespace Widgetify.Cli;

/// <summary>Gives every option that is not text a parser of its own, so a value that is not of its kind is refused in
/// Widgetify's words ("--port must be a whole number; got 'abc'.") rather than System.CommandLine's, which name a .NET type
/// ("as expected type 'System.Int32'"). One walk over the whole command tree at start, so a new option of these kinds
/// is covered without anyone remembering to. Switches (bool) need none: a word after one that is not true or false is
/// not taken as its value, and System.CommandLine reports it as an unrecognised argument, naming no type.</summary>
internal static class OptionWording
{
    private static readonly MethodInfo WordEnumMethod =
        typeof(OptionWording).GetMethod(nameof(WordEnum), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Words the options of <paramref name="command"/> and of every command under it.</summary>
    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
        {
            Word(option);
        }

        foreach (var subcommand in command.Subcommands)
        {
            Apply(subcommand);
        }
    }

    private static void Word(Option option)
    {
        switch (option)
        {
            case Option<int> o:
                o.CustomParser ??= r => WholeNumber<int>(r, o.Name) ?? 0;
                break;
            case Option<int?> o:
                o.CustomParser ??= r => WholeNumber<int>(r, o.Name);
                break;
            case Option<long> o:
                o.CustomParser ??= r => WholeNumber<long>(r, o.Name) ?? 0;
                break;
            case Option<long?> o:
                o.CustomParser ??= r => WholeNumber<long>(r, o.Name);
                break;
            case Option<DateTimeOffset> o:
                o.CustomParser ??= r => Time(r, o.Name) ?? default;
                break;
            case Option<DateTimeOffset?> o:
                o.CustomParser ??= r => Time(r, o.Name);
                break;
            case Option<TimeSpan> o:
                o.CustomParser ??= r => Duration(r, o.Name) ?? default;
                break;
            case Option<TimeSpan?> o:
                o.CustomParser ??= r => Duration(r, o.Name);
                break;
            default:
                if ((Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) is { IsEnum: true } enumType)
                {
                    WordEnumMethod.MakeGenericMethod(enumType).Invoke(null, [option]);
                }

                break;
        }
    }

    private static void WordEnum<TEnum>(Option option)
        where TEnum : struct, Enum
    {
        switch (option)
        {
            case Option<TEnum> o:
                o.CustomParser ??= r => Choice<TEnum>(r, o.Name) ?? default;
                break;
            case Option<TEnum?> o:
                o.CustomParser ??= r => Choice<TEnum>(r, o.Name);
                break;
        }
    }

    /// <summary>Restricts a text option to <paramref name="choices"/>, any case, and refuses anything else in the words every
    /// other option uses ("--format must be one of table, json; got 'xml'."), not System.CommandLine's
    /// (<c>AcceptOnlyFromAmong</c>: "Argument 'xml' not recognized. Must be one of: ...").</summary>
    public static void AcceptOnly(Option<string> option, params string[] choices)
    {
        option.CompletionSources.Add(choices);
        option.CustomParser = result =>
        {
            var text = Token(result);
            if (text is null)
            {
                return null;
            }

            var choice = Array.Find(choices, c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
            if (choice is null)
            {
                result.AddError($"{option.Name} must be one of {string.Join(", ", choices)}; got '{text}'.");
            }

            return choice;
        };
    }

    /// <summary>The value given, or null when none was (an absent value is the arity's to report, in its words).</summary>
    private static string? Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;

    private static T? WholeNumber<T>(ArgumentResult result, string name)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var text = Token(result);
        if (text is null)
        {
            return null;
        }

        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError(decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && decimal.IsInteger(number)
            ? string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {T.MinValue} to {T.MaxValue}; got '{text}'.")
            : $"{name} must be a whole number; got '{text}'.");
        return null;
    }

    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd",
    ];

    private static DateTimeOffset? Time(ArgumentResult result, string name)
    {
        var text = Token(result);
        if (text is null)
        {
            return null;
        }

        // ISO 8601 only: a culture's formats would read 01/02/2027 as 2 January where the operator may mean 1 February.
        if (DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }

        result.AddError($"{name} must be a time in ISO 8601, such as 2027-01-31T00:00:00Z (UTC unless an offset is given); got '{text}'.");
        return null;
    }

    private static TimeSpan? Duration(ArgumentResult result, string name)
    {
        var text = Token(result);
        if (text is null)
        {
            return null;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError($"{name} must be a duration as hh:mm:ss, such as 00:30:00; got '{text}'.");
        return null;
    }

    private static TEnum? Choice<TEnum>(ArgumentResult result, string name)
        where TEnum : struct, Enum
    {
        // Names only: Enum.TryParse would also take any number ('--format 7'), which names no choice.
        var text = Token(result);
        if (text is null)
        {
            return null;
        }

        foreach (var choice in Enum.GetValues<TEnum>())
        {
            if (string.Equals(choice.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        result.AddError($"{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}; got '{text}'.");
        return null;
    }
}
