using System.Text.Json.Serialization;

namespace Widgetify.Postgres;

/// <summary>Source-generated JSON for pg-credentials.json: camelCase names, no reflection; a null (the superuser password of
/// an older file) is never written.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterCredentials))]
internal sealed partial class CredentialsJsonContext : JsonSerializerContext;
