namespace Widgetify.Scaling.Providers;

/// <summary>What a command may print on standard output when it succeeds: one JSON object, both fields optional, such as
/// <c>{"replicas":2,"endpoints":[{"name":"widgetify-ro","connectionString":"Host=widgetify-ro;Port=5432"}]}</c>.
/// Progress belongs on standard error.</summary>
/// <param name="Endpoints">The read endpoints available now.</param>
/// <param name="Replicas">Standbys that exist now, by the platform's count.</param>
internal sealed record CommandOutput(IReadOnlyList<ReadEndpoint>? Endpoints, int? Replicas);
