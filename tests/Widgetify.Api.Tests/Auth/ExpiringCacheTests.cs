using Microsoft.Extensions.Time.Testing;
using Widgetify.Api.Auth;

namespace Widgetify.Api.Tests.Auth;

public sealed class ExpiringCacheTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryGet_AfterTheLifetime_MissesAndForgets()
    {
        var cache = new ExpiringCache<string>(10, _time);
        cache.Set(1, "a", TimeSpan.FromSeconds(10)).ShouldBeTrue();

        _time.Advance(TimeSpan.FromSeconds(9.9));
        cache.TryGet(1, out var before).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(0.1));

        before.ShouldBe("a");
        cache.TryGet(1, out _).ShouldBeFalse();
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public void Set_WhenFullOfLiveEntries_RefusesInsteadOfGrowing()
    {
        var cache = new ExpiringCache<string>(2, _time);
        cache.Set(1, "a", TimeSpan.FromSeconds(10));
        cache.Set(2, "b", TimeSpan.FromSeconds(10));

        cache.Set(3, "c", TimeSpan.FromSeconds(10)).ShouldBeFalse();

        cache.Count.ShouldBe(2);
        cache.TryGet(1, out _).ShouldBeTrue("a full cache keeps what it has");
    }

    [Fact]
    public void Set_WhenFullOfExpiredEntries_SweepsThemAndAdds()
    {
        var cache = new ExpiringCache<string>(2, _time);
        cache.Set(1, "a", TimeSpan.FromSeconds(1));
        cache.Set(2, "b", TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(2));

        cache.Set(3, "c", TimeSpan.FromSeconds(10)).ShouldBeTrue();

        cache.Count.ShouldBe(1);
    }

    [Fact]
    public void RemoveWhere_DropsOnlyMatchingEntries()
    {
        var cache = new ExpiringCache<string>(10, _time);
        cache.Set(1, "revoked", TimeSpan.FromSeconds(10));
        cache.Set(2, "kept", TimeSpan.FromSeconds(10));

        cache.RemoveWhere(v => v == "revoked");

        cache.TryGet(1, out _).ShouldBeFalse();
        cache.TryGet(2, out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Set_NonPositiveLifetime_IsNotRemembered(int seconds)
    {
        var cache = new ExpiringCache<string>(10, _time);

        cache.Set(1, "a", TimeSpan.FromSeconds(seconds)).ShouldBeFalse();

        cache.Count.ShouldBe(0);
    }
}
