namespace Widgetify.Scaling.Providers;

/// <summary>A server (or a service in front of several) that serves reads.</summary>
/// <param name="Name">Its name in logs, metrics and <c>/api/scaling</c>, such as <c>widgetify-ro</c>.</param>
/// <param name="ConnectionString">An Npgsql connection string, without a password: a provider's output is logged and
/// stored, so credentials come from the service's own configuration.</param>
public sealed record ReadEndpoint(string Name, string ConnectionString);
