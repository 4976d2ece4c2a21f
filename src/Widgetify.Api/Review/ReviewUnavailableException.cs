namespace Widgetify.Api.Review;

/// <summary>The review could not run: a server it must read did not answer, or answered and refused (<see cref="System.Exception.InnerException"/>
/// says which). The message names the server and why.</summary>
public sealed class ReviewUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReviewUnavailableException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    public ReviewUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public ReviewUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
