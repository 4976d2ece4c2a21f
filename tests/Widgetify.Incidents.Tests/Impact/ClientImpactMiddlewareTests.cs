using System.Net;
using Microsoft.AspNetCore.Http;
using Widgetify.Incidents.Impact;

namespace Widgetify.Incidents.Tests.Impact;

public sealed class ClientImpactMiddlewareTests
{
    private static DefaultHttpContext Request(string remote, string? forwardedFor = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        return context;
    }

    [Theory]
    [InlineData("127.0.0.1", "203.0.113.7", "203.0.113.7")]
    [InlineData("::1", "203.0.113.7, 10.0.0.2", "203.0.113.7")]
    [InlineData("::ffff:127.0.0.1", " 2001:db8::1 ", "2001:db8::1")]
    [InlineData("127.0.0.1", null, "127.0.0.1")]
    [InlineData("127.0.0.1", "", "127.0.0.1")]
    public void ClientKey_LocalProxy_IsTheFirstForwardedAddress(string remote, string? forwardedFor, string expected)
    {
        ClientImpactMiddleware.ClientKey(Request(remote, forwardedFor)).ShouldBe(expected);
    }

    [Fact]
    public void ClientKey_RemotePeerSendingForwardedFor_IsThePeerItself()
    {
        // Anyone can send the header; only a proxy on this machine is trusted to have set it.
        ClientImpactMiddleware.ClientKey(Request("198.51.100.9", "203.0.113.7")).ShouldBe("198.51.100.9");
    }

    [Fact]
    public void ClientKey_OversizedForwardedFor_IsTruncated()
    {
        ClientImpactMiddleware.ClientKey(Request("127.0.0.1", new string('a', 10_000))).Length.ShouldBe(64);
    }

    [Fact]
    public async Task InvokeAsync_ServerErrorAndSuccess_RecordsBadOnlyForTheError()
    {
        var tracker = new ClientImpactTracker(new IncidentOptions(), TimeProvider.System);
        var capture = tracker.BeginCapture(DateTimeOffset.MinValue, 1000);
        var ok = new ClientImpactMiddleware(c => { c.Response.StatusCode = 200; return Task.CompletedTask; }, tracker);
        var failing = new ClientImpactMiddleware(c => { c.Response.StatusCode = 503; return Task.CompletedTask; }, tracker);

        await ok.InvokeAsync(Request("127.0.0.1", "203.0.113.1"));
        await failing.InvokeAsync(Request("127.0.0.1", "203.0.113.2"));
        await ok.InvokeAsync(Request("127.0.0.1", "203.0.113.2"));

        capture.Clients.ShouldBe(2);
        capture.Affected.ShouldBe(1);
        capture.Capped.ShouldBeFalse();
    }

    [Fact]
    public void RecordShed_OneClientStillThereAndOneGone_RecordsOnlyTheFirstHurt()
    {
        // Arrange
        var tracker = new ClientImpactTracker(new IncidentOptions(), TimeProvider.System);
        var capture = tracker.BeginCapture(DateTimeOffset.MinValue, 1000);
        using var gone = new CancellationTokenSource();
        gone.Cancel();
        var abandoned = Request("127.0.0.1", "203.0.113.3");
        abandoned.RequestAborted = gone.Token;

        // Act
        tracker.RecordShed(Request("127.0.0.1", "203.0.113.4"));
        tracker.RecordShed(abandoned);

        // Assert: a client that gave up is seen, but not hurt by us (as ClientImpactMiddleware records it)
        capture.Clients.ShouldBe(2);
        capture.Affected.ShouldBe(1);
    }
}
