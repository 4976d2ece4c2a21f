using Microsoft.AspNetCore.Http;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Overload.Tests.AdmissionControl;

/// <summary>Which requests get the busy page instead of the problem body: a browser loading a document to show.</summary>
public sealed class BusyPageTests
{
    [Theory]
    [InlineData("iframe", null, true)] // a visitor's embed
    [InlineData("IFRAME", null, true)]
    [InlineData("document", "text/html,*/*;q=0.8", true)] // a tab
    [InlineData("frame", null, true)]
    [InlineData("empty", "text/html", false)] // fetch() from a script reads the problem body, whatever it accepts
    [InlineData("image", null, false)]
    [InlineData(null, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true)] // a browser without Sec-Fetch-Dest
    [InlineData(null, "application/json", false)]
    [InlineData(null, "*/*", false)] // curl
    [InlineData(null, "application/json, text/html", false)]
    [InlineData(null, null, false)]
    public void IsDocumentRequest_FetchDestinationOrAccept_TrueOnlyForABrowserLoadingAPage(string? destination, string? accept, bool expected)
    {
        var context = new DefaultHttpContext { Request = { Method = HttpMethods.Get } };
        if (destination is not null)
        {
            context.Request.Headers["Sec-Fetch-Dest"] = destination;
        }

        if (accept is not null)
        {
            context.Request.Headers.Accept = accept;
        }

        BusyPage.IsDocumentRequest(context.Request).ShouldBe(expected);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    public void IsDocumentRequest_FormPostedFromAnIframe_IsNot(string method)
    {
        // A vote sent without script: its 503 says whether to send it again, which the busy page would not.
        var context = new DefaultHttpContext { Request = { Method = method } };
        context.Request.Headers["Sec-Fetch-Dest"] = "iframe";
        context.Request.Headers.Accept = "text/html";

        BusyPage.IsDocumentRequest(context.Request).ShouldBeFalse();
    }

    [Fact]
    public void Body_Always_IsAStandaloneHtmlPageWithoutScript()
    {
        var html = System.Text.Encoding.UTF8.GetString(BusyPage.Body.Span);

        html.ShouldStartWith("<!DOCTYPE html>");
        html.ShouldContain("Busy right now");
        html.ShouldNotContain("<script", Case.Insensitive);
    }
}
