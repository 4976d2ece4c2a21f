using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Widgetify.Observability.Tests.Notifications;

/// <summary>Keeps every log entry with its structured properties and the properties of the scopes around it, to check
/// what a log pipeline would index.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly AsyncLocal<IReadOnlyList<KeyValuePair<string, object?>>?> _scope = new();

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull
    {
        var previous = _scope.Value;
        _scope.Value = state as IReadOnlyList<KeyValuePair<string, object?>>;
        return new Restore(() => _scope.Value = previous);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue(new Entry(
            logLevel,
            eventId.Id,
            formatter(state, exception),
            (state as IReadOnlyList<KeyValuePair<string, object?>>)?.ToDictionary(p => p.Key, p => p.Value) ?? [],
            _scope.Value?.ToDictionary(p => p.Key, p => p.Value) ?? []));

    public IReadOnlyList<Entry> WithEvent(int eventId) => [.. Entries.Where(e => e.EventId == eventId)];

    public string Dump() => string.Join(" | ", Entries.Select(e => $"{e.Level} {e.Message}"));

    public sealed record Entry(LogLevel Level, int EventId, string Message, Dictionary<string, object?> Properties, Dictionary<string, object?> Scope);

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
