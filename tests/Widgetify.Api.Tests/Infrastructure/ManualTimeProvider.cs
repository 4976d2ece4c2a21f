namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>A clock the test sets by hand (FakeTimeProvider is not in the package feed here).</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;

    public void Set(DateTimeOffset now) => _now = now;
}
