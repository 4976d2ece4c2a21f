using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Widgetify.Api.Apis;

/// <summary>Describes each kind's <c>config</c> in the OpenAPI document: the body of POST and PUT
/// <c>/api/widgets</c> becomes a <c>oneOf</c> discriminated by <c>kind</c>, one request schema per kind with its config
/// schema (<c>CounterConfig</c>, <c>PollConfig</c>, ...). The config is read as a JSON object (<see cref="WidgetInputReader"/>),
/// so the generator alone can only say "any object"; these schemas say what each kind reads.</summary>
internal static class WidgetConfigDocumentation
{
    private const string RequestSchema = "WidgetRequest";

    public static OpenApiOptions AddWidgetConfigDocumentation(this OpenApiOptions options) =>
        options.AddDocumentTransformer((document, _, _) =>
        {
            var configs = new Dictionary<string, OpenApiSchema>(StringComparer.Ordinal)
            {
                ["counter"] = Object("A counter of embed views.", ("label", Text("Shown under the count, e.g. 'visitors so far'."))),
                ["poll"] = Object("A poll visitors vote in from the embed (POST /w/{id}/vote).",
                    ("question", Text("The question above the options.", minLength: 1, maxLength: KindConfigs.PollConfigRules.MaxQuestionLength)),
                    ("options", new OpenApiSchema
                    {
                        Type = JsonSchemaType.Array,
                        Description = "2 to 20 answers, distinct after trimming and ignoring case, none empty; a vote names one by its 0-based index.",
                        MinItems = KindConfigs.PollConfigRules.MinOptions,
                        MaxItems = KindConfigs.PollConfigRules.MaxOptions,
                        UniqueItems = true,
                        Items = Text("An answer, not empty.", minLength: 1, maxLength: KindConfigs.PollConfigRules.MaxOptionLength),
                    }),
                    ("closesAt", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When voting closes (ISO 8601); absent: never." }),
                    ("hideResultsUntilClosed", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Show results only once the poll has closed; default false." })),
                ["banner"] = Object("A banner whose link is counted (GET /w/{id}/click) and opened in a new tab.",
                    ("text", Text("The banner's text.")),
                    ("link", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", MaxLength = KindConfigs.BannerConfigRules.MaxLinkLength, Pattern = "^[Hh][Tt][Tt][Pp][Ss]?://", Description = "An absolute http or https URL; nothing else is ever a click's target." })),
                ["clock"] = Object("A clock that ticks in its time zone.",
                    ("timeZone", Text("An IANA time zone such as Europe/Paris; unknown zones are refused (422)."))),
                ["weather"] = Object("Current weather from the provider the operator configured (docs/widgets.md).",
                    ("location", Text("The place shown, e.g. Paris; sent to the provider when no coordinates are given.", minLength: 1, maxLength: KindConfigs.WeatherConfigRules.MaxLocationLength)),
                    ("latitude", new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "-90", Maximum = "90", Description = "With longitude, or neither: the provider is asked for these coordinates." }),
                    ("longitude", new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "-180", Maximum = "180", Description = "With latitude, or neither." })),
            };

            // What each kind must have; any field not listed is refused with 422 (AdditionalPropertiesAllowed false).
            configs["poll"].Required = new HashSet<string>(StringComparer.Ordinal) { "question", "options" };
            configs["weather"].Required = new HashSet<string>(StringComparer.Ordinal) { "location" };
            foreach (var config in configs.Values)
            {
                config.AdditionalPropertiesAllowed = false;
            }

            var variants = new List<IOpenApiSchema>();
            var mapping = new Dictionary<string, OpenApiSchemaReference>(StringComparer.Ordinal);
            foreach (var kind in WidgetKinds.All)
            {
                var name = char.ToUpperInvariant(kind[0]) + kind[1..];
                document.AddComponent<IOpenApiSchema>($"{name}Config", configs[kind]);
                document.AddComponent<IOpenApiSchema>($"{name}WidgetRequest", new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = $"A {kind} widget.",
                    Required = new HashSet<string>(StringComparer.Ordinal) { "name", "kind" },
                    Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                    {
                        ["name"] = Text("1 to 100 characters, no control characters.", minLength: 1, maxLength: 100),
                        ["kind"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(kind)] },
                        ["config"] = new OpenApiSchemaReference($"{name}Config", document),
                    },
                });
                var reference = new OpenApiSchemaReference($"{name}WidgetRequest", document);
                variants.Add(reference);
                mapping[kind] = reference;
            }

            document.AddComponent<IOpenApiSchema>(RequestSchema, new OpenApiSchema
            {
                Description = "The body of POST and PUT: name, kind, and the config of that kind (a JSON object of at most 16 KiB; default {}).",
                OneOf = variants,
                Discriminator = new OpenApiDiscriminator { PropertyName = "kind", Mapping = mapping },
            });

            // The bodies documented from WidgetRequest (see JsonBodyDocumentation) point at the discriminated schema.
            foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
            {
                if (operation.RequestBody?.Content?.TryGetValue("application/json", out var media) == true
                    && media.Schema?.Properties is { } properties && properties.ContainsKey("kind") && properties.ContainsKey("config"))
                {
                    media.Schema = new OpenApiSchemaReference(RequestSchema, document);
                }
            }

            return Task.CompletedTask;
        });

    private static OpenApiSchema Object(string description, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema, StringComparer.Ordinal),
    };

    private static OpenApiSchema Text(string description, int? minLength = null, int? maxLength = null) => new()
    {
        Type = JsonSchemaType.String,
        Description = description,
        MinLength = minLength,
        MaxLength = maxLength,
    };
}
