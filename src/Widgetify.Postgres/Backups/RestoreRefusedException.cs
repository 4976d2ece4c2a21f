namespace Widgetify.Postgres.Backups;

/// <summary>A restore that was not started, because of what was asked (a time no backup reaches) or the state of the cluster
/// (its server runs); nothing was changed. The message says what to do instead.</summary>
public sealed class RestoreRefusedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public RestoreRefusedException()
    {
    }

    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What was refused and what to do instead.</param>
    public RestoreRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What was refused and what to do instead.</param>
    /// <param name="innerException">The cause.</param>
    public RestoreRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
