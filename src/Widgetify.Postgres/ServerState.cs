namespace Widgetify.Postgres;

/// <summary>What StartAsync learned about the server it attached to or started.</summary>
internal sealed record ServerState(int Port, int PostmasterPid, bool OwnsServer, bool StartedNow);
