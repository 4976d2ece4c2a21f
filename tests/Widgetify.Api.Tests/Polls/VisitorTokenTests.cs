using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Widgetify.Api.Polls;

namespace Widgetify.Api.Tests.Polls;

/// <summary>The visitor cookie's attributes: what a browser needs to keep it inside another site's iframe.</summary>
public sealed class VisitorTokenTests
{
    [Fact]
    public void SetCookie_Https_IsSameSiteNoneSecurePartitioned()
    {
        var context = new DefaultHttpContext();

        VisitorToken.SetCookie(context.Response, "abcdefghijklmnopqrstuv", https: true);

        var cookie = context.Response.Headers.SetCookie.ToString();
        cookie.ShouldStartWith("widgetify_visitor=abcdefghijklmnopqrstuv;");
        cookie.ShouldContain("SameSite=None");
        cookie.ShouldContain("; Secure");
        cookie.ShouldContain("; Partitioned");
        cookie.ShouldContain("HttpOnly");
    }

    [Fact]
    public void SetCookie_PlainHttp_IsLaxWithoutSecure()
    {
        var context = new DefaultHttpContext();

        VisitorToken.SetCookie(context.Response, "abcdefghijklmnopqrstuv", https: false);

        var cookie = context.Response.Headers.SetCookie.ToString();
        cookie.ShouldContain("SameSite=Lax");
        cookie.ShouldNotContain("Secure");
        cookie.ShouldNotContain("Partitioned");
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("", true, true)]
    [InlineData("https://widgets.example", false, true)] // TLS ends at a proxy in front: the browser still sees https
    [InlineData("http://widgets.example", false, false)]
    public void SetCookie_ForARequest_SecureWhenTheRequestOrThePublishedEmbedIsHttps(string publicBaseUrl, bool requestIsHttps, bool secure)
    {
        var options = Options.Create(new Widgetify.Api.WidgetifyOptions());
        options.Value.Embed.PublicBaseUrl = publicBaseUrl;
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(options).BuildServiceProvider(),
        };
        context.Request.Scheme = requestIsHttps ? "https" : "http";

        VisitorToken.SetCookie(context, "abcdefghijklmnopqrstuv");

        context.Response.Headers.SetCookie.ToString().Contains("; Secure", StringComparison.Ordinal).ShouldBe(secure);
    }

    [Theory]
    [InlineData("short", false)]
    [InlineData("abcdefghijklmnop", true)]
    [InlineData("abcdefghijklmnop;Path=/", false)]
    [InlineData("abcdefghijklmnop<script>", false)]
    public void IsWellFormed_OnlyUrlSafeTokensOf16To64Characters(string token, bool expected) =>
        VisitorToken.IsWellFormed(token).ShouldBe(expected);

    [Fact]
    public void New_IsWellFormedAndRandom() =>
        Enumerable.Range(0, 100).Select(_ => VisitorToken.New()).ShouldAllBe(t => VisitorToken.IsWellFormed(t));
}
