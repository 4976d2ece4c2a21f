using System.Globalization;

namespace Widgetify.Api.RateLimiting;

/// <summary>The <c>RateLimit-Policy</c> and <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers (structured
/// field lists of one item each). A token bucket of size B refilled at R per second is the policy "B writes per window of
/// B/R seconds" (q=B, w=B/R rounded up): an empty bucket is full again after w, and sustained writing gets R a second.</summary>
internal static class RateLimitFields
{
    public const string PolicyHeader = "RateLimit-Policy";
    public const string StateHeader = "RateLimit";
    public const string PolicyName = "writes";

    public static string Policy(WriteLimit limit) => string.Create(CultureInfo.InvariantCulture,
        $"\"{PolicyName}\";q={limit.Burst};w={Math.Max(1, (int)Math.Ceiling((double)limit.Burst / limit.WritesPerSecond))}");

    /// <summary>r: writes left now; t: seconds (rounded up) until the bucket is full again.</summary>
    public static string State(int remaining, TimeSpan untilFull) => string.Create(CultureInfo.InvariantCulture,
        $"\"{PolicyName}\";r={remaining};t={WholeSeconds(untilFull)}");

    /// <summary>Seconds rounded up, so a client that waits that long finds what was promised.</summary>
    public static int WholeSeconds(TimeSpan span) => (int)Math.Ceiling(Math.Max(0, span.TotalSeconds));
}
