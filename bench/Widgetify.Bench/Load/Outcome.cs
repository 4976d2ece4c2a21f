namespace Widgetify.Bench.Load;

/// <summary>What became of one scheduled request. Only <see cref="Success"/> is goodput; <see cref="Shed"/> is
/// the service saying "not now" (503), which is the right answer under overload when it is fast; everything
/// else is an error, including requests the generator could not send.</summary>
internal enum Outcome
{
    /// <summary>2xx or 304.</summary>
    Success = 0,

    /// <summary>503 Service Unavailable.</summary>
    Shed = 1,

    /// <summary>Any other status (4xx, 500, 502...).</summary>
    ErrorStatus = 2,

    /// <summary>No response within the client timeout.</summary>
    Timeout = 3,

    /// <summary>Connection refused, reset or closed mid-response.</summary>
    ConnectionError = 4,

    /// <summary>Due while every client connection already had a request outstanding: not sent, counted as an
    /// error so that a saturated generator cannot hide the service's slowness.</summary>
    NotSent = 5,

    /// <summary>429 Too Many Requests: the API key's write rate limit, which says when to come back. Not an error of the
    /// service and not a shed either: the client asked for more than its key may have.</summary>
    Throttled = 6,
}
