namespace Widgetify.Cli;

/// <summary>An expected failure of a verb (bad input, a path it cannot write): its message says what is wrong and what
/// to do, and the top-level handler in Program.cs prints it as one line, exit 1, without a stack trace.</summary>
internal sealed class CliFailureException(string message, Exception? innerException = null) : Exception(message, innerException);
