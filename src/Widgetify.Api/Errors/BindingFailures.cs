using System.Text.RegularExpressions;

namespace Widgetify.Api.Errors;

/// <summary>Rewords the framework's 400s for a request whose route or query value does not bind to an endpoint's
/// parameter (<c>?limit=x</c>). With <c>RouteHandlerOptions.ThrowOnBadRequest</c> they reach the exception handler as
/// <see cref="BadHttpRequestException"/>s, whose messages speak of C# types; here they become a validation problem that
/// names the field and says what to send, for every endpoint at once.</summary>
internal static partial class BindingFailures
{
    /// <summary>The field and what to tell the client about it, or false when the exception is not a binding failure.</summary>
    public static bool TryDescribe(BadHttpRequestException exception, out string field, out string message)
    {
        field = "";
        message = "";
        if (FailedToBind().Match(exception.Message) is { Success: true } failed)
        {
            field = failed.Groups["name"].Value;
            var value = failed.Groups["value"].Value;
            var shown = value.Length > 40 ? value[..40] + "…" : value;
            message = $"'{shown}' is not {Expected(failed.Groups["type"].Value)}: send {field} as {Expected(failed.Groups["type"].Value)}, or leave it out for the default.";
            return true;
        }

        if (Required().Match(exception.Message) is { Success: true } missing)
        {
            field = missing.Groups["name"].Value;
            message = $"{field} is required: send it as {Expected(missing.Groups["type"].Value)}.";
            return true;
        }

        return false;
    }

    private static string Expected(string typeName) => typeName.Replace("?", "", StringComparison.Ordinal) switch
    {
        "int" or "long" or "short" or "Int32" or "Int64" or "Nullable<int>" or "Nullable<long>" => "a whole number such as 20",
        "double" or "decimal" or "float" or "Nullable<double>" => "a number such as 1.5",
        "bool" or "Nullable<bool>" => "true or false",
        "Guid" or "Nullable<Guid>" => "a UUID such as 0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
        "DateTimeOffset" or "DateTime" or "Nullable<DateTimeOffset>" => "an ISO 8601 date-time such as 2026-12-07T00:00:00Z",
        _ => "a value of the documented form",
    };

    // RequestDelegateFactory's words: Failed to bind parameter "int limit" from "x".
    [GeneratedRegex("""^Failed to bind parameter "(?<type>[^"]+) (?<name>[^" ]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex FailedToBind();

    // Required parameter "int limit" was not provided from query string.
    [GeneratedRegex("""^Required parameter "(?<type>[^"]+) (?<name>[^" ]+)" was not provided""")]
    private static partial Regex Required();
}
