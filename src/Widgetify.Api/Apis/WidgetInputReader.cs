using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using Widgetify.Api.Apis.KindConfigs;
using Widgetify.Api.Data;
using Widgetify.Api.Errors;

namespace Widgetify.Api.Apis;

/// <summary>Reads and validates a widget body by hand rather than through model binding, so that every
/// mistake (malformed JSON, a wrong type, an unknown field, a size limit) is reported with the field and the
/// reason, and the raw bytes are kept for the idempotency hash.</summary>
internal sealed class WidgetInputReader(IOptions<WidgetifyOptions> options)
{
    public const int MaxNameLength = 100;
    public const int MaxConfigBytes = 16 * 1024;

    // Fields a client may echo back from a GET; they are server-owned, so they are accepted and ignored.
    private static readonly HashSet<string> ReadOnlyFields = new(StringComparer.Ordinal)
    {
        "id", "createdAt", "updatedAt", "version", "viewCount",
    };

    // Duplicate properties are refused by PropertyNameProblem, not by the parser: the parser's check throws on
    // names holding a lone surrogate, and it could not say in which field the duplicate is.
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 32 };

    public async Task<WidgetInput> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return WidgetInput.Invalid(Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send the widget as JSON with 'Content-Type: application/json' (got '{request.ContentType ?? "none"}')."));
        }

        if ((BodyCoding.EncodingRefusal(request, "send the widget as JSON") ?? BodyCoding.CharsetRefusal(request, "send the widget as JSON")) is { } refused)
        {
            return WidgetInput.Invalid(refused);
        }

        var limit = options.Value.Api.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        byte[]? body;
        try
        {
            body = await BodyLimits.ReadAsync(request, limit, cancellationToken);
        }
        catch (Exception ex) when (RequestBodyTimeout.Is(ex, request.HttpContext))
        {
            return WidgetInput.Invalid(RequestBodyTimeout.Problem(request.HttpContext));
        }

        if (body is null)
        {
            return TooLarge(limit);
        }

        // The parser checks UTF-8 only where it transcodes (a string read, a raw text copied), so bytes that are not UTF-8
        // would surface deep in validation as an exception: one check of the whole body answers them all alike.
        if (FirstInvalidUtf8Byte(body) is { } invalidAt)
        {
            return WidgetInput.Invalid(Problems.Validation("body", string.Create(CultureInfo.InvariantCulture,
                $"The body is not valid UTF-8 (byte {invalidAt + 1} starts an invalid sequence): send the widget as UTF-8 JSON; text in another encoding, such as ISO-8859-1, must be converted to UTF-8 first.")));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException ex)
        {
            if (IsBlank(body))
            {
                return WidgetInput.Invalid(Problems.Validation("body",
                    "The body is empty: send the widget as JSON with Content-Type: application/json, such as {\"name\":\"Visits\",\"kind\":\"counter\"}."));
            }

            var where = ex.LineNumber is { } line
                ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, byte {ex.BytePositionInLine + 1}")
                : "";
            return WidgetInput.Invalid(Problems.Validation("body", $"The body is not valid JSON{where}: {FirstSentence(ex.Message)}"));
        }

        using (document)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var draft = Validate(document.RootElement, errors);
            if (errors.Count > 0)
            {
                return WidgetInput.Invalid(Problems.Validation(errors));
            }

            var config = document.RootElement.TryGetProperty("config", out var given) ? given : default;
            KindConfigRules.Validate(draft!.Kind, config, errors);
            return errors.Count > 0 ? WidgetInput.Invalid(Problems.Unprocessable(errors)) : WidgetInput.Valid(draft, body);
        }
    }

    internal static WidgetDraft? Validate(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = [$"The body must be a JSON object with 'name', 'kind' and 'config', not {Article(root.ValueKind)}."];
            return null;
        }

        string? name = null, kind = null, config = null;
        if (PropertyNameProblem(root) is { } nameProblem)
        {
            errors["body"] = [nameProblem];
            return null;
        }

        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name":
                    name = ValidateName(property.Value, errors);
                    break;
                case "kind":
                    kind = ValidateKind(property.Value, errors);
                    break;
                case "config":
                    config = ValidateConfig(property.Value, errors);
                    break;
                case var readOnly when ReadOnlyFields.Contains(readOnly):
                    break;
                default:
                    errors[property.Name] = ["Unknown field. A widget has 'name', 'kind' and 'config'."];
                    break;
            }
        }

        if (!root.TryGetProperty("name", out _))
        {
            errors["name"] = [$"Required: a string of 1 to {MaxNameLength} characters."];
        }

        if (!root.TryGetProperty("kind", out _))
        {
            errors["kind"] = [$"Required: one of {WidgetKinds.Describe()}."];
        }

        return errors.Count == 0 ? new WidgetDraft(name!, kind!, config ?? "{}") : null;
    }

    private static string? ValidateName(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (ReadString(value, "name", "a string", errors) is not { } name)
        {
            return null;
        }

        // Counted in Unicode code points, as PostgreSQL's char_length counts them.
        var length = name.EnumerateRunes().Count();
        if (string.IsNullOrWhiteSpace(name))
        {
            errors["name"] = ["Must not be empty or only white space."];
        }
        else if (length > MaxNameLength)
        {
            errors["name"] = [string.Create(CultureInfo.InvariantCulture, $"Must be at most {MaxNameLength} characters; got {length}.")];
        }
        else if (name.Any(char.IsControl))
        {
            errors["name"] = ["Must not contain control characters (such as NUL, tab or newline)."];
        }

        return name;
    }

    private static string? ValidateKind(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (ReadString(value, "kind", $"a string (one of {WidgetKinds.Describe()})", errors) is not { } kind)
        {
            return null;
        }

        if (!WidgetKinds.IsKnown(kind))
        {
            errors["kind"] = [$"Unknown kind '{Truncate(kind)}': must be one of {WidgetKinds.Describe()}."];
        }

        return kind;
    }

    private static string? ReadString(JsonElement value, string field, string expected, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            errors[field] = [$"Must be {expected}, not {Article(value.ValueKind)}."];
            return null;
        }

        if (!TryGetString(value, out var text))
        {
            errors[field] = [InvalidUnicode($"The {field}")];
            return null;
        }

        return text;
    }

    private static string? ValidateConfig(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors["config"] = [$"Must be a JSON object, not {Article(value.ValueKind)}."];
            return null;
        }

        var raw = value.GetRawText();
        var bytes = Encoding.UTF8.GetByteCount(raw);
        if (bytes > MaxConfigBytes)
        {
            errors["config"] = [string.Create(CultureInfo.InvariantCulture, $"Must be at most {MaxConfigBytes} bytes of JSON; got {bytes}.")];
        }
        else if (FindConfigProblem(value) is { } problem)
        {
            errors["config"] = [problem];
        }

        return raw;
    }

    /// <summary>What in a config PostgreSQL could not store faithfully: U+0000 (refused by jsonb and text),
    /// escaped lone surrogates such as \ud800 (not Unicode at all), duplicate property names. Refused here
    /// rather than failing, or silently changing the config, in the database.</summary>
    private static string? FindConfigProblem(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return !TryGetString(element, out var text) ? InvalidUnicode("A string")
                    : text.Contains('\0', StringComparison.Ordinal) ? NulMessage : null;
            case JsonValueKind.Object:
                if (PropertyNameProblem(element) is { } nameProblem)
                {
                    return nameProblem;
                }

                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name.Contains('\0', StringComparison.Ordinal))
                    {
                        return NulMessage;
                    }

                    if (FindConfigProblem(property.Value) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(FindConfigProblem).FirstOrDefault(p => p is not null);
            case JsonValueKind.Number:
                return FitsNumeric(element.GetRawText()) ? null : NumberMessage;
            default:
                return null;
        }
    }

    private const string NumberMessage =
        "Holds a number too large or too precise to store (at most 131,072 digits before the decimal point and 16,383 after, exponent included): write it with fewer digits.";

    /// <summary>Whether PostgreSQL's numeric, which jsonb stores numbers as, takes <paramref name="number"/> (JSON number
    /// syntax): 1e131072 and 1e-16384 it refuses with "value overflows numeric format", which reached the client as the
    /// database's words in a 400 naming no field (a tester sent a latitude of 1e-999999; as a double it is 0).</summary>
    private static bool FitsNumeric(string number)
    {
        var e = number.AsSpan().IndexOfAny('e', 'E');
        var mantissa = e < 0 ? number.AsSpan() : number.AsSpan(0, e);
        var exponent = 0L;
        if (e >= 0 && !long.TryParse(number.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
        {
            return false; // an exponent past a long is past any limit
        }

        var point = mantissa.IndexOf('.');
        long integerDigits = (point < 0 ? mantissa.Length : point) - (mantissa.StartsWith("-") ? 1 : 0);
        long fractionDigits = point < 0 ? 0 : mantissa.Length - point - 1;
        return integerDigits + exponent <= 131_072 && fractionDigits - exponent <= 16_383;
    }

    private const string NulMessage = "Must not contain the NUL character (\\u0000) in any string or property name.";

    private static string InvalidUnicode(string what) =>
        $"{what} holds an invalid Unicode escape (a lone surrogate such as \\ud800); send valid UTF-8 text.";

    /// <summary>The index of the first byte of <paramref name="body"/> that starts no valid UTF-8 sequence; null when all is valid.</summary>
    private static int? FirstInvalidUtf8Byte(byte[] body)
    {
        if (Utf8.IsValid(body))
        {
            return null;
        }

        Span<char> chars = stackalloc char[256];
        var offset = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(body.AsSpan(offset), chars, out var read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status != OperationStatus.DestinationTooSmall)
            {
                return offset;
            }
        }
    }

    // An escaped lone surrogate has no UTF-8 form: System.Text.Json throws on some (string values) and
    // returns others as they are (property names), so both are checked.
    private static bool TryGetString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return IsValidUnicode(text);
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static bool IsValidUnicode(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Why an object's property names cannot be accepted (invalid Unicode, or a name given twice,
    /// which JSON leaves undefined and jsonb would silently collapse), or null.</summary>
    private static string? PropertyNameProblem(JsonElement obj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name; // throws on an escaped lone surrogate
            }
            catch (InvalidOperationException)
            {
                return InvalidUnicode("A property name");
            }

            if (!IsValidUnicode(name))
            {
                return InvalidUnicode("A property name");
            }

            if (!seen.Add(name))
            {
                return $"The property '{Truncate(name)}' appears more than once.";
            }
        }

        return null;
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static WidgetInput TooLarge(long limit) => WidgetInput.Invalid(Problems.Result(
        StatusCodes.Status413PayloadTooLarge, "Request body too large",
        string.Create(CultureInfo.InvariantCulture, $"The body must be at most {limit} bytes (setting 'Widgetify:Api:MaxRequestBodyBytes'); a widget's config may take at most {MaxConfigBytes} bytes.")));

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "missing value",
    };

    /// <summary>A JSON value's kind as an error message names it: "an object", "a string", "null".</summary>
    internal static string Article(JsonValueKind kind) => Describe(kind) switch
    {
        "null" => "null",
        var name when "aeiou".Contains(name[0], StringComparison.Ordinal) => "an " + name,
        var name => "a " + name,
    };

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";

    private static bool IsBlank(ReadOnlySpan<byte> body) => body.Trim(" \t\r\n"u8).IsEmpty;

    private static string FirstSentence(string message)
    {
        // The reader's words for a document that stops early speak of its own state ("isFinalBlock", "depth").
        if (message.Contains("isFinalBlock", StringComparison.Ordinal) || message.Contains("Expected depth", StringComparison.Ordinal))
        {
            return "the JSON ends before it is complete (an unclosed string, object or array).";
        }

        // "... not supported in this mode. Change the reader options." is advice to the server's code, not to the client.
        if (message.Contains("trailing comma", StringComparison.Ordinal))
        {
            return "a comma after the last member of an object or the last item of an array: remove it.";
        }

        // System.Text.Json appends " Path: ..." and " LineNumber: ..."; the position is already reported.
        var end = message.Length;
        foreach (var marker in (string[])[" Path:", " LineNumber:"])
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            end = at > 0 ? Math.Min(end, at) : end;
        }

        return message[..end];
    }
}

/// <summary>A validated widget body, or the problem to answer instead.</summary>
internal sealed record WidgetInput(WidgetDraft? Draft, byte[] RawBody, IResult? Error)
{
    public static WidgetInput Valid(WidgetDraft draft, byte[] rawBody) => new(draft, rawBody, null);

    public static WidgetInput Invalid(IResult error) => new(null, [], error);
}
