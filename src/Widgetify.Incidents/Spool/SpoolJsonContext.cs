using System.Text.Json;
using System.Text.Json.Serialization;

namespace Widgetify.Incidents.Spool;

/// <summary>The spool's JSON, generated at build time. Required members and nullable annotations are enforced on read,
/// so a truncated or hand-edited file is refused whole rather than delivered in part. NaN and infinity are kept as
/// named literals: a sample's figures are written as they were taken (the store drops non-finite values itself).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SpoolDocument))]
internal sealed partial class SpoolJsonContext : JsonSerializerContext
{
    /// <summary>The version of a spool file, read before the rest: a newer format may not fit the types of this one.</summary>
    /// <exception cref="JsonException">Not JSON, or no whole-number <c>version</c> at the top.</exception>
    public static int ReadVersion(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("version", out var version)
            || !version.TryGetInt32(out var value))
        {
            throw new JsonException("it has no \"version\" number at the top");
        }

        return value;
    }
}
