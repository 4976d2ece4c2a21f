using Microsoft.Extensions.Primitives;
using Widgetify.Api.Apis;

namespace Widgetify.Api.Tests.Apis;

public sealed class ETagsTests
{
    [Theory]
    [InlineData(1, "\"1\"")]
    [InlineData(42, "\"42\"")]
    public void ForVersion_Version_IsStrongQuotedNumber(int version, string expected)
    {
        ETags.ForVersion(version).ShouldBe(expected);
    }

    [Theory]
    [InlineData("\"3\"", true)]
    [InlineData("W/\"3\"", true)]
    [InlineData("\"1\", \"3\"", true)]
    [InlineData("*", true)]
    [InlineData("\"4\"", false)]
    [InlineData("garbage", false)]
    [InlineData("", false)]
    public void NoneMatchHits_StrongCurrentETag_ComparesWeakly(string header, bool expected)
    {
        ETags.NoneMatchHits(new StringValues(header), "\"3\"").ShouldBe(expected);
    }

    [Theory]
    [InlineData("W/\"3-7\"", true)]
    [InlineData("\"3-7\"", true)]
    [InlineData("*", true)]
    [InlineData("W/\"3-8\"", false)]
    public void NoneMatchHits_WeakCurrentETag_ComparesWeaklyWithoutThrowing(string header, bool expected)
    {
        // The embed's ETag is weak (W/"version-views"); revalidating it must not throw.
        ETags.NoneMatchHits(new StringValues(header), "W/\"3-7\"").ShouldBe(expected);
    }

    [Fact]
    public void ParseIfMatch_Absent_IsAbsent()
    {
        ETags.ParseIfMatch(StringValues.Empty).ShouldBeOfType<ETags.IfMatch.Absent>();
    }

    [Fact]
    public void ParseIfMatch_Star_IsAny()
    {
        ETags.ParseIfMatch(new StringValues("*")).ShouldBeOfType<ETags.IfMatch.Any>();
    }

    [Theory]
    [InlineData("\"1\"", 1)]
    [InlineData("\"12345\"", 12345)]
    public void ParseIfMatch_StrongNumber_IsThatVersion(string header, int version)
    {
        ETags.ParseIfMatch(new StringValues(header)).ShouldBe(new ETags.IfMatch.Version(version));
    }

    [Theory]
    [InlineData("W/\"1\"")]
    [InlineData("\"abc\"")]
    [InlineData("\"-1\"")]
    [InlineData("\"+1\"")]
    [InlineData("\"\"")]
    [InlineData("\"99999999999\"")]
    public void ParseIfMatch_TagNoVersionCanHave_IsNoMatch(string header)
    {
        ETags.ParseIfMatch(new StringValues(header)).ShouldBeOfType<ETags.IfMatch.NoMatch>();
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("\"1")]
    public void ParseIfMatch_Malformed_IsMalformedWithReason(string header)
    {
        ETags.ParseIfMatch(new StringValues(header)).ShouldBeOfType<ETags.IfMatch.Malformed>().Reason.ShouldContain("If-Match");
    }
}
