using Microsoft.AspNetCore.Http;

namespace Widgetify.Core.Deadlines;

/// <summary>A request's time budget, from its arrival to its response: the one deadline every wait of the request
/// derives from. Admission control gives each admitted request one (a feature of its <see cref="HttpContext"/>); a
/// wait further in (for the connection share, for a pooled connection) ends no later than <see cref="Token"/> fires,
/// so no wait outlives the request and the error a request gets is the deadline's, whichever wait it was in.</summary>
public sealed class RequestDeadline
{
    private readonly TimeProvider _timeProvider;
    private readonly long _startedAt;

    /// <summary>Creates a deadline; <paramref name="token"/> must fire when <paramref name="budget"/> has passed since
    /// <paramref name="startedAt"/> on <paramref name="timeProvider"/>'s clock.</summary>
    /// <param name="budget">The whole budget, from arrival.</param>
    /// <param name="setting">The setting that sets <paramref name="budget"/>, for messages that say what to change.</param>
    /// <param name="startedAt">When the request arrived (<see cref="TimeProvider.GetTimestamp"/>).</param>
    /// <param name="timeProvider">The clock of <paramref name="startedAt"/>.</param>
    /// <param name="token">Fires at the deadline (and only then: a client that went away is not a deadline).</param>
    public RequestDeadline(TimeSpan budget, string setting, long startedAt, TimeProvider timeProvider, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget, TimeSpan.Zero);
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Budget = budget;
        Setting = setting;
        _startedAt = startedAt;
        _timeProvider = timeProvider;
        Token = token;
    }

    /// <summary>The whole budget, from arrival.</summary>
    public TimeSpan Budget { get; }

    /// <summary>The setting that sets <see cref="Budget"/> (e.g. <c>Widgetify:Admission:ReadTimeout</c>).</summary>
    public string Setting { get; }

    /// <summary>Fires at the deadline.</summary>
    public CancellationToken Token { get; }

    /// <summary>The time left; zero once the deadline has passed.</summary>
    public TimeSpan Remaining
    {
        get
        {
            var left = Budget - _timeProvider.GetElapsedTime(_startedAt);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>The deadline of the request, or null when it has none (not admitted through admission control, or
    /// not a request at all: background work).</summary>
    /// <param name="context">The request.</param>
    public static RequestDeadline? Of(HttpContext? context) => context?.Features.Get<RequestDeadline>();
}
