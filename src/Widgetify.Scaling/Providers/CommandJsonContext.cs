using System.Text.Json;
using System.Text.Json.Serialization;

namespace Widgetify.Scaling.Providers;

/// <summary>The command provider's JSON, generated at build time: web defaults (camelCase, case-insensitive reading).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CommandActionDocument))]
[JsonSerializable(typeof(CommandOutput))]
internal sealed partial class CommandJsonContext : JsonSerializerContext;
