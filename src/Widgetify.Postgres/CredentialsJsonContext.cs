using System.Text.Json.Serialization;

namespace Widgetify.Postgres;

/// <summary>Source-generated JSON for pg-credentials.json: camelCase names, no reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ClusterCredentials))]
internal sealed partial class CredentialsJsonContext : JsonSerializerContext;
