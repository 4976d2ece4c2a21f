using Microsoft.AspNetCore.Http;

namespace Widgetify.Overload.AdmissionControl;

/// <summary>What a client should do about a write whose deadline ended while the database was serving it: the statement
/// was sent, may commit all the same (a cancel request can arrive after the commit, and a frozen server takes none at all),
/// and the 503 cannot say whether it did. Only the application knows what makes a retry of each write safe (an
/// Idempotency-Key, a vote counted once per visitor, If-Match), so it registers one in DI
/// (<see cref="AdmissionServiceCollectionExtensions.AddWriteRetryAdvice{TAdvice}"/>); without one the client is told to
/// check before sending the write again.</summary>
public interface IWriteRetryAdvice
{
    /// <summary>One or two sentences for <paramref name="context"/>'s request: that it may have been applied, and how to retry
    /// it without applying it twice.</summary>
    /// <param name="context">The write whose deadline ended.</param>
    string ForOutcomeUnknown(HttpContext context);
}
