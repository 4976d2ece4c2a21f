using System.Net;
using System.Text.Json;
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
    public void ShedBeforeRoutingPaths_EachIsAMappedRouteWhoseEndpointsTakeTheirPriorityFromTheirMethod()
    {
        // Arrange: judging by the method is only right where no endpoint is an operator's or raises its own priority
        var endpoints = fixture.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

        // Act
        var governed = endpoints.Where(e => IsGoverned(e.RoutePattern.RawText!)).ToList();

        // Assert: every template is a route the service maps (nothing else under /w or /api/widgets is refused)
        foreach (var template in WidgetifyApplication.ShedBeforeRoutingPaths)
        {
            governed.ShouldContain(e => Shape(e.RoutePattern.RawText!) == Shape(template), $"{template} is no mapped route");
        }

        governed.Select(e => e.RoutePattern.RawText).ShouldContain("/w/{id}");
        governed.Select(e => e.RoutePattern.RawText).ShouldContain("/api/widgets/");
        foreach (var endpoint in governed)
        {
            endpoint.IsForOperators().ShouldBeFalse($"{endpoint.RoutePattern.RawText} is an operators' endpoint under a path shed before routing");
            endpoint.Metadata.GetMetadata<AdmissionEndpointMetadata>()?.Priority.ShouldBeNull(
                $"{endpoint.RoutePattern.RawText} sets its own admission priority, which the shed before routing cannot see");
        }
    }

    [Fact]
    public async Task Requests_ReadsRefused_UnmappedPathUnderTheEmbedIs404NotShed()
    {
        // Arrange: what ConnectionShareWiring does when the fleet leaves this instance no connections
        var admission = fixture.Server.Services.GetRequiredService<AdmissionController>();
        var before = admission.GetStatistics().TotalShedBeforeRouting;
        using var anonymous = fixture.Server.CreateClient();
        using (ShareZero(admission))
        {
            // Act
            using var typo = await anonymous.GetAsync($"/w/{Guid.NewGuid()}/typo");

            // Assert: no endpoint maps it, so it could never be served: routing's 404, not a shed
            typo.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            admission.GetStatistics().TotalShedBeforeRouting.ShouldBe(before);
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
        using var anonymous = fixture.Server.CreateClient();
        using (ShareZero(admission))
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
    }

    [Fact]
    public async Task Requests_ShareZero_EmbedHeldInMemoryServedWhileOneToReadIsShed()
    {
        // Arrange: one widget fetched once (this instance now holds it), one never fetched
        using var tenant = await fixture.Server.CreateTenantAsync();
        var held = await tenant.Http.CreateWidgetAsync("Held in memory");
        var unread = await tenant.Http.CreateWidgetAsync("Never read");
        using var anonymous = fixture.Server.CreateClient();
        (await anonymous.GetAsync($"/w/{held.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var admission = fixture.Server.Services.GetRequiredService<AdmissionController>();
        var skipped = admission.GetStatistics().TotalSkipped;
        using (ShareZero(admission))
        {
            // Act: no database connection to spare
            using var fromMemory = await anonymous.GetAsync($"/w/{held.Id}");
            using var toRead = await anonymous.GetAsync($"/w/{unread.Id}");
            using var withToken = new HttpRequestMessage(HttpMethod.Get, $"/w/{held.Id}");
            withToken.Headers.Add("Widgetify-Consistency", fixture.Server.SignedToken("0/1"));
            using var mayNeedARead = await anonymous.SendAsync(withToken);

            // Assert: the embed that needs no database is served (it skips admission, before routing and after); the one
            // that must be read, and one whose consistency token may need a read, are shed as before
            fromMemory.StatusCode.ShouldBe(HttpStatusCode.OK);
            admission.GetStatistics().TotalSkipped.ShouldBeGreaterThan(skipped, "counted, so a shed ratio keeps its denominator");
            toRead.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            mayNeedARead.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        }
    }

    [Fact]
    public async Task Requests_ShareZero_UnknownKeyIsShedBeforeAuthenticationLooksItUp()
    {
        // Arrange: a key nobody issued, which authentication would look up in the database and answer 401
        var admission = fixture.Server.Services.GetRequiredService<AdmissionController>();
        using var stranger = fixture.Server.CreateClient($"Bearer wk_{Guid.NewGuid():N}");
        using (ShareZero(admission))
        {
            // Act
            using var response = await stranger.GetAsync("/api/widgets");

            // Assert: admission answers first (issue 13: authentication's database cost never reaches a request that
            // admission turns away, so a flood of bad keys cannot starve the admitted ones)
            response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        }
    }

    [Fact]
    public async Task ClientImpact_ShedBeforeRouting_RecordsTheShedClient()
    {
        // Arrange: a client the window has never seen, behind a local proxy, so the tracker keys it by X-Forwarded-For
        var tracker = fixture.Server.Services.GetRequiredService<ClientImpactTracker>();
        var admission = fixture.Server.Services.GetRequiredService<AdmissionController>();
        var address = $"198.51.100.{Random.Shared.Next(1, 255)}";
        using var anonymous = fixture.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/w/{Guid.NewGuid()}");
        request.Headers.Add("X-Forwarded-For", address);
        var seen = tracker.WindowCount;
        using (ShareZero(admission))
        {
            // Act
            using var shed = await anonymous.SendAsync(request);

            // Assert
            shed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            tracker.WindowCount.ShouldBe(seen + 1, "the shed client is in the impact window, as a client of any other shed is");
        }
    }

    /// <summary>What ConnectionShareWiring does when the fleet leaves this instance no connections, until disposed: then the
    /// share it had is set back (the fixture's server serves the other tests afterwards).</summary>
    private static ShareRestorer ShareZero(AdmissionController admission)
    {
        var restorer = new ShareRestorer(admission, admission.GetStatistics().Ceiling.ShouldNotBeNull());
        admission.SetCeiling(0);
        return restorer;
    }

    private sealed record ShareRestorer(AdmissionController Admission, int Ceiling) : IDisposable
    {
        public void Dispose() => Admission.SetCeiling(Ceiling);
    }

    /// <summary>A route pattern's shape: its segments, parameters all alike, lower case, no trailing slash (a group's
    /// <c>"/"</c> maps <c>/api/widgets/</c>, which routing matches as <c>/api/widgets</c>).</summary>
    private static string Shape(string pattern) =>
        string.Join('/', pattern.Trim('/').Split('/').Select(s => s.StartsWith('{') ? "{}" : s.ToLowerInvariant()));

    /// <summary>The pattern is one of the templates shed before routing.</summary>
    private static bool IsGoverned(string pattern) =>
        WidgetifyApplication.ShedBeforeRoutingPaths.Any(p => Shape(p) == Shape(pattern));
}
