namespace Widgetify.Overload.AdmissionControl;

/// <summary>Computes the <c>Retry-After</c> of a shed request: <see cref="AdmissionOptions.RetryAfter"/> rounded up
/// to whole seconds, plus a uniform whole number of seconds in [0, <see cref="AdmissionOptions.RetryAfterJitter"/>].
/// Defaults give 1, 2 or 3 s. The jitter exists because clients shed in the same instant would otherwise all come
/// back in the same instant and recreate the spike that shed them.</summary>
/// <remarks>As thread-safe as the <see cref="Random"/> it is given: the controller's seeded one is used under its lock,
/// <see cref="Random.Shared"/> from any thread.</remarks>
public sealed class RetryAfterPolicy
{
    private readonly int _baseSeconds;
    private readonly int _jitterSeconds;
    private readonly Random _random;

    /// <summary>Creates the policy from a base delay, the largest jitter added to it and the source of randomness.</summary>
    public RetryAfterPolicy(TimeSpan retryAfter, TimeSpan jitter, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);

        // The header carries whole seconds; rounding the base up means a client never retries sooner than configured.
        _baseSeconds = WholeSeconds(retryAfter);
        _jitterSeconds = Math.Max(0, (int)Math.Floor(jitter.TotalSeconds));
        _random = random;
    }

    /// <summary>The next value; each call draws from the injected (seeded in tests) <see cref="Random"/>.</summary>
    public TimeSpan Next() => Next(TimeSpan.Zero);

    /// <summary>The next value for a cause that needs a longer base than the configured one (a database that is down
    /// comes back in seconds, not in the second a shed takes); the same jitter is added on top.</summary>
    /// <param name="atLeast">The smallest base, rounded up to whole seconds; below the configured base it changes nothing.</param>
    public TimeSpan Next(TimeSpan atLeast) =>
        TimeSpan.FromSeconds(Math.Max(_baseSeconds, WholeSeconds(atLeast)) + _random.Next(0, _jitterSeconds + 1));

    /// <summary>A delay as the header carries it: whole seconds, rounded up, at least 1.</summary>
    internal static int WholeSeconds(TimeSpan delay) => Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds));
}
