using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Trace;

namespace Widgetify.Observability.Tests.Metrics;

/// <summary>The OTLP path for real: a service registered with <see cref="ObservabilityServiceCollectionExtensions.AddObservability"/>
/// and the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> posts its metrics and its request spans to a collector (here a
/// loopback HTTP receiver speaking the OTLP/HTTP paths); without the variable it records no spans at all.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task AddObservability_OtlpEndpointSet_PostsMetricsAndRequestSpansToTheCollector()
    {
        // Arrange: a collector on loopback that records what it is sent
        var received = new ConcurrentQueue<string>();
        await using var collector = await StartAsync(app => app.MapPost("/v1/{signal}", (string signal, HttpRequest request) =>
        {
            received.Enqueue(signal + ":" + request.ContentType);
            return Results.Ok();
        }));
        await using var service = await StartServiceAsync(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Urls.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        using var http = new HttpClient { BaseAddress = new Uri(service.Urls.First()) };

        // Act
        (await http.GetStringAsync("/hello")).ShouldBe("hello");
        await BoundedWait.UntilAsync(
            () => received.Any(r => r.StartsWith("metrics:", StringComparison.Ordinal)) && received.Any(r => r.StartsWith("traces:", StringComparison.Ordinal)),
            () => string.Join(", ", received.Distinct()), "the collector received metrics and traces", TimeSpan.FromSeconds(30));

        // Assert
        received.ShouldContain("metrics:application/x-protobuf");
        received.ShouldContain("traces:application/x-protobuf");
        service.Services.GetService<TracerProvider>().ShouldNotBeNull();
    }

    [Fact]
    public async Task AddObservability_NoOtlpEndpoint_RegistersNoTracing()
    {
        // Arrange / Act
        await using var service = await StartServiceAsync([]);

        // Assert: nothing would record spans or try to reach a collector
        service.Services.GetService<TracerProvider>().ShouldBeNull();
    }

    private static async Task<WebApplication> StartServiceAsync(Dictionary<string, string?> settings) =>
        await StartAsync(
            app => app.MapGet("/hello", () => "hello"),
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                // No database is needed to export: monitoring's loop is off and the control connection is never opened.
                var monitoring = new MonitoringOptions { Enabled = false, InstanceName = "otlp-test" };
                builder.Services.AddObservability(builder.Configuration, [], _ => monitoring, _ => new MonitoredService
                {
                    ControlConnection = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=none"),
                    RequestPoolName = "widgetify-primary",
                    ApplicationName = "widgetify",
                });
            });

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        configure?.Invoke(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }
}
