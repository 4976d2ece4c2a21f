using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Widgetify.Core.Traffic;

namespace Widgetify.Core.Tests.Traffic;

/// <summary>A real host on loopback: ASP.NET Core's own request metric must carry the operator tag on marked endpoints
/// only, because the signals, the incidents and admission all decide "user traffic" by this one marker.</summary>
public sealed class TrafficExtensionsTests : IAsyncLifetime, IDisposable
{
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private MetricCollector<double> _durations = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.UseRouting();
        _app.UseTrafficTagging();
        _app.MapGet("/visitor", () => "hello");
        _app.MapGet("/operator", () => "metrics").ForOperators();
        _durations = new MetricCollector<double>(
            _app.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Hosting", "http.server.request.duration");
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _durations.Dispose();
    }

    [Fact]
    public async Task UseTrafficTagging_OperatorEndpoint_TagsItsRequestMetric()
    {
        // Act
        (await _http.GetStringAsync("/operator")).ShouldBe("metrics");
        await _durations.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));

        // Assert
        var measurement = _durations.GetMeasurementSnapshot().ShouldHaveSingleItem();
        measurement.Tags[TrafficExtensions.TrafficTag].ShouldBe(TrafficExtensions.OperatorTagValue);
        measurement.Tags["http.route"].ShouldBe("/operator");
    }

    [Fact]
    public async Task UseTrafficTagging_VisitorEndpoint_LeavesItsRequestMetricUntagged()
    {
        // Act
        (await _http.GetStringAsync("/visitor")).ShouldBe("hello");
        await _durations.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));

        // Assert
        var measurement = _durations.GetMeasurementSnapshot().ShouldHaveSingleItem();
        measurement.Tags.ContainsKey(TrafficExtensions.TrafficTag).ShouldBeFalse();
        measurement.Tags["http.route"].ShouldBe("/visitor");
    }

    [Fact]
    public void IsForOperators_MarkedAndUnmarkedEndpoints_TellThemApart()
    {
        // Arrange
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .ToDictionary(e => e.RoutePattern.RawText!);

        // Act / Assert
        endpoints["/operator"].IsForOperators().ShouldBeTrue();
        endpoints["/visitor"].IsForOperators().ShouldBeFalse();
        ((Endpoint?)null).IsForOperators().ShouldBeFalse("no endpoint (404) is nobody's operator endpoint");
    }
}
