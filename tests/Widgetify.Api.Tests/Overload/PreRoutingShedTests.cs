using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Core.Traffic;
using Widgetify.Incidents.Impact;
using Widgetify.Overload.AdmissionControl;

namespace Widgetify.Api.Tests.Overload;

/// <summary>The shed before routing in the whole service: which paths it may refuse (a guard over every endpoint the
/// service maps), that probes, metrics, the dashboard and the operator API stay reachable when it refuses everything
/// else, and that an incident's client impact still sees its sheds.</summary>
[Collection(SharedApiServer.Name)]
public sealed class PreRoutingShedTests(ApiFixture fixture)
{
    [Fact]
    public void ShedBeforeRoutingPaths_EveryEndpointUnderThem_TakesItsPriorityFromItsMethod()
    {
        // Arrange: judging by the method is only right where no endpoint is an operator's or raises its own priority
        var endpoints = fixture.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        // Act
        var governed = endpoints.Where(e => IsGoverned(e.RoutePattern.RawText!)).ToList();

        // Assert
        governed.Select(e => e.RoutePattern.RawText).ShouldContain("/w/{id}");
        governed.Select(e => e.RoutePattern.RawText).ShouldContain("/api/widgets/");
        foreach (var endpoint in governed)
        {
            endpoint.IsForOperators().ShouldBeFalse($"{endpoint.RoutePattern.RawText} is an operators' endpoint under a path shed before routing");
            endpoint.Metadata.GetMetadata<AdmissionEndpointMetadata>()?.Priority.ShouldBeNull(
                $"{endpoint.RoutePattern.RawText} sets its own admission priority, which the shed before routing cannot see");
        }

        foreach (var endpoint in endpoints.Where(e => e.IsForOperators()))
        {
            MayBeGoverned(endpoint.RoutePattern.RawText!).ShouldBeFalse($"{endpoint.RoutePattern.RawText} must never be shed before routing");
        }
    }

    [Fact]
    public async Task Requests_ShareZero_EmbedShedBeforeRoutingWhileProbesMetricsAndDashboardAnswer()
    {
        // Arrange: what ConnectionShareWiring does when the fleet leaves this instance no connections
        using var tenant = await fixture.Server.CreateTenantAsync();
        var widget = await tenant.Http.CreateWidgetAsync("Shed before routing");
        var admission = fixture.Server.Services.GetRequiredService<AdmissionController>();
        var before = admission.GetStatistics().TotalShedBeforeRouting;
        var ceiling = admission.GetStatistics().Ceiling.ShouldNotBeNull();
        using var anonymous = fixture.Server.CreateClient();
        admission.SetCeiling(0);
        try
        {
            // Act
            using var embed = await anonymous.GetAsync($"/w/{widget.Id}");
            using var live = await anonymous.GetAsync("/health/live");
            using var metrics = await anonymous.GetAsync("/metrics");
            using var dashboard = await anonymous.GetAsync("/dashboard");

            // Assert
            embed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            embed.Headers.RetryAfter.ShouldNotBeNull();
            embed.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
            using var problem = JsonDocument.Parse(await embed.Content.ReadAsStringAsync());
            problem.RootElement.GetProperty("reason").GetString().ShouldBe("no_capacity");
            admission.GetStatistics().TotalShedBeforeRouting.ShouldBe(before + 1);
            live.StatusCode.ShouldBe(HttpStatusCode.OK);
            metrics.StatusCode.ShouldNotBe(HttpStatusCode.ServiceUnavailable);
            dashboard.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            admission.SetCeiling(ceiling);
        }
    }

    [Fact]
    public async Task ClientImpact_ShedBeforeRouting_RecordsTheShedClient()
    {
        // Arrange: a client the window has never seen, behind a local proxy, so the tracker keys it by X-Forwarded-For
        var tracker = fixture.Server.Services.GetRequiredService<ClientImpactTracker>();
        var admission = fixture.Server.Services.GetRequiredService<AdmissionController>();
        var ceiling = admission.GetStatistics().Ceiling.ShouldNotBeNull();
        var address = $"198.51.100.{Random.Shared.Next(1, 255)}";
        using var anonymous = fixture.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{Guid.NewGuid()}");
        request.Headers.Add("X-Forwarded-For", address);
        var seen = tracker.WindowCount;
        admission.SetCeiling(0);
        try
        {
            // Act
            using var shed = await anonymous.SendAsync(request);

            // Assert
            shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            tracker.WindowCount.ShouldBe(seen + 1, "the shed client is in the impact window, as a client of any other shed is");
        }
        finally
        {
            admission.SetCeiling(ceiling);
        }
    }

    /// <summary>The literal start of a route pattern, up to its first parameter: every path it matches begins so.</summary>
    private static PathString LiteralPrefix(string pattern) =>
        new(pattern.Split('{')[0].TrimEnd('/') is { Length: > 0 } literal ? literal : "/");

    /// <summary>Every path the pattern matches is shed before routing when refused.</summary>
    private static bool IsGoverned(string pattern) =>
        WidgetifyApplication.ShedBeforeRoutingPaths.Any(p => LiteralPrefix(pattern).StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Some path the pattern matches could be shed before routing: it lies under a governed path, or a governed
    /// path lies under its literal start (a parameter could then match into it).</summary>
    private static bool MayBeGoverned(string pattern) =>
        IsGoverned(pattern) || (pattern.Contains('{', StringComparison.Ordinal)
            && WidgetifyApplication.ShedBeforeRoutingPaths.Any(p => new PathString(p).StartsWithSegments(LiteralPrefix(pattern), StringComparison.OrdinalIgnoreCase)));
}
