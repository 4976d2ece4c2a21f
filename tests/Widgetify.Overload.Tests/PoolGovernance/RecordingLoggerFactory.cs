using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Widgetify.Overload.Tests.PoolGovernance;

/// <summary>Keeps every log entry, to check what an operator would read.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    /// <summary>The same entries with their exceptions: whether an operator would read a stack trace.</summary>
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> WithExceptions { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            factory.Entries.Enqueue((logLevel, message));
            factory.WithExceptions.Enqueue((logLevel, message, exception));
        }
    }
}
