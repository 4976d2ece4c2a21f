using System.Net;
using System.Net.Http.Headers;
using Widgetify.Bench.Scale;

namespace Widgetify.Bench.Tests.Scale;

public sealed class ConsistencyProbeTests
{
    [Theory]
    [InlineData("\"12\"", 12)]
    [InlineData("\"0\"", 0)]
    public void Version_StrongETag_TheWidgetsVersion(string etag, int expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.ETag = EntityTagHeaderValue.Parse(etag);

        ConsistencyProbe.Version(response).ShouldBe(expected);
    }

    [Fact]
    public void Version_WeakOrMissingOrNotANumber_Null()
    {
        using var weak = new HttpResponseMessage(HttpStatusCode.OK);
        weak.Headers.ETag = EntityTagHeaderValue.Parse("W/\"3\"");
        using var none = new HttpResponseMessage(HttpStatusCode.OK);
        using var text = new HttpResponseMessage(HttpStatusCode.OK);
        text.Headers.ETag = EntityTagHeaderValue.Parse("\"v3\"");

        ConsistencyProbe.Version(weak).ShouldBeNull();
        ConsistencyProbe.Version(none).ShouldBeNull();
        ConsistencyProbe.Version(text).ShouldBeNull();
    }
}
