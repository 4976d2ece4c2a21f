using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Errors;

/// <summary>What a client is told about a write whose outcome is unknown, and how to send it again without applying it
/// twice: after a broken connection (<see cref="ExceptionProblemHandler.Describe"/>) and when the request's deadline ended
/// its statement in flight (admission's 503, <see cref="IWriteRetryAdvice"/>).</summary>
internal sealed class WriteRetryAdvice : IWriteRetryAdvice
{
    public string ForOutcomeUnknown(HttpContext context) =>
        Sentence(RetryOf(context.Request))
        ?? "The change may have been applied: sent again with the same If-Match, an update that did go through is answered 412 Precondition Failed, a delete 404.";

    /// <summary>The sentence for a create or a vote; null for the writes whose retry needs no word of ours.</summary>
    internal static string? Sentence(SafeRetry retry) => retry switch
    {
        SafeRetry.IdempotencyKey => "The write may have been applied: retry with the same Idempotency-Key, and a create that did go through is not made twice.",
        SafeRetry.Vote => "The vote may have been counted: send it again, and it counts once.",
        _ => null,
    };

    /// <summary>The POSTs are the two writes whose retry needs a word: a create (its Idempotency-Key) and a vote (one per
    /// visitor, so sending it again is safe). An update or delete carries If-Match, whose 412 on a retry says it was applied.</summary>
    internal static SafeRetry RetryOf(HttpRequest request) =>
        !HttpMethods.IsPost(request.Method) ? SafeRetry.None
        : request.Path.StartsWithSegments("/w", StringComparison.Ordinal) ? SafeRetry.Vote
        : SafeRetry.IdempotencyKey;
}

/// <summary>How a client retries a write whose outcome is unknown.</summary>
internal enum SafeRetry
{
    /// <summary>Not a write whose retry needs a word.</summary>
    None,

    /// <summary>A create: the same Idempotency-Key makes the retry safe.</summary>
    IdempotencyKey,

    /// <summary>A vote: one per visitor, so it counts once however often it is sent.</summary>
    Vote,
}
