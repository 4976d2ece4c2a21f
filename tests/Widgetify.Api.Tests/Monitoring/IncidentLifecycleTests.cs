using System.Net;
using System.Text.Json;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;

namespace Widgetify.Api.Tests.Monitoring;

/// <summary>The whole chain on a real service: its PostgreSQL goes down, the DatabaseDown alert fires, an incident
/// opens; the server comes back, the incident resolves in the database, and the postmortem draft is written.</summary>
public sealed class IncidentLifecycleTests : IAsyncLifetime
{
    private readonly string _postmortems = Path.Combine(Path.GetTempPath(), "widgetify-pm-" + Guid.NewGuid().ToString("N")[..8]);
    private DedicatedServer? _dedicated;

    private DedicatedServer Dedicated => _dedicated ?? throw new InvalidOperationException("Not started.");

    private WebhookServer? _alertmanager;

    private WebhookServer Alertmanager => _alertmanager ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        // Stands in for Alertmanager's HTTP API only: a real Alertmanager receiving the same payload is tested in
        // Widgetify.Reliability.Tests (AlertNotifier). Here the point is the service's configuration and wiring.
        _alertmanager = await WebhookServer.StartAsync();
        _dedicated = await DedicatedServer.StartAsync(settings: new Dictionary<string, string?>
        {
            // The operator's key must work while the database is down: it is checked once, then cached.
            ["Widgetify:Api:ApiKeyCacheDuration"] = "00:10:00",
            ["Widgetify:Monitoring:Incidents:ResolveAfter"] = "00:00:03",
            ["Widgetify:Monitoring:Incidents:PostmortemDirectory"] = _postmortems,
            ["Widgetify:Monitoring:Webhooks:Targets:0:Url"] = Alertmanager.Url.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        if (_dedicated is not null)
        {
            await _dedicated.DisposeAsync();
        }

        if (_alertmanager is not null)
        {
            await _alertmanager.DisposeAsync();
        }

        if (Directory.Exists(_postmortems))
        {
            Directory.Delete(_postmortems, recursive: true);
        }
    }

    [Fact]
    public async Task DatabaseOutage_AlertsOpensIncident_ResolvesItAndWritesThePostmortem()
    {
        // Arrange
        using var operatorClient = await Dedicated.Server.CreateTenantAsync(ApiKeyRole.Operator);
        operatorClient.Http.Timeout = TimeSpan.FromSeconds(30);
        (await operatorClient.Http.GetAsync("/api/alerts")).EnsureSuccessStatusCode();
        using var visitor = Dedicated.Server.CreateClient();
        visitor.Timeout = TimeSpan.FromSeconds(30);

        // Act 1: the database goes away while visitors keep coming.
        await Dedicated.Postgres.Cluster.StopAsync();
        JsonElement firing = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                await visitor.GetAsync("/w/" + Guid.CreateVersion7());
                firing = await GetJsonAsync(operatorClient.Http, "/api/alerts");
                return firing.GetProperty("active").EnumerateArray()
                    .Any(a => a.GetProperty("name").GetString() == "DatabaseDown" && a.GetProperty("state").GetString() == "firing");
            },
            () => firing.ValueKind == JsonValueKind.Undefined ? "no answer" : firing.ToString(),
            "DatabaseDown fires within seconds of the outage",
            TimeSpan.FromSeconds(30));
        var whileDown = await operatorClient.Http.GetAsync("/api/incidents");

        // Act 2: it comes back.
        await Dedicated.Postgres.RestartAsync();
        JsonElement incident = default;
        await BoundedWait.UntilAsync(
            async () =>
            {
                await visitor.GetAsync("/health/live");
                var response = await operatorClient.Http.GetAsync("/api/incidents");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
                incident = items.EnumerateArray().FirstOrDefault();
                return incident.ValueKind == JsonValueKind.Object && incident.GetProperty("status").GetString() == "resolved"
                    && incident.GetProperty("postmortem").ValueKind == JsonValueKind.String;
            },
            () => incident.ValueKind == JsonValueKind.Undefined ? "no incident yet" : incident.ToString(),
            "the incident resolves once the database is back, and its draft is written",
            TimeSpan.FromSeconds(60));

        // Assert: while down, the incident list is a 503 problem (it lives in the database), never a 500.
        whileDown.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        whileDown.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

        // The timeline in PostgreSQL: detected by DatabaseDown, resolved, draft written.
        incident.GetProperty("alerts").EnumerateArray().Select(a => a.GetString()).ShouldContain("DatabaseDown");
        incident.GetProperty("timeToDetectSeconds").GetDouble().ShouldBeGreaterThanOrEqualTo(0, "detection comes after the impact started");
        var id = incident.GetProperty("id").GetString()!;
        var detail = await GetJsonAsync(operatorClient.Http, $"/api/incidents/{id}");
        var kinds = detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        kinds.ShouldContain("Detected");
        kinds.ShouldContain("Resolved");
        kinds.ShouldContain("PostmortemWritten");

        // The configured webhook got DatabaseDown firing, then resolved, in Alertmanager's format.
        List<JsonElement> DatabaseDownPosts() => Alertmanager.Requests.Where(r => r.Path == "/api/v2/alerts")
            .SelectMany(r => JsonDocument.Parse(r.Body).RootElement.EnumerateArray())
            .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "DatabaseDown").ToList();
        await BoundedWait.UntilAsync(
            () => DatabaseDownPosts().Any(a => a.TryGetProperty("endsAt", out _)),
            () => $"{Alertmanager.Requests.Count} posts", "the resolution is delivered (the notifier sends in the background)");
        var databaseDown = DatabaseDownPosts();
        databaseDown.Any(a => !a.TryGetProperty("endsAt", out _)).ShouldBeTrue("a firing notification (no endsAt)");
        databaseDown.Any(a => a.TryGetProperty("endsAt", out _)).ShouldBeTrue("a resolution (with endsAt)");
        databaseDown[0].GetProperty("labels").GetProperty("severity").GetString().ShouldBe("page");
        databaseDown[0].GetProperty("annotations").GetProperty("runbook_url").GetString()!.ShouldEndWith("docs/runbooks/DatabaseDown.md");

        // The draft: the postmortems' structure, with the database named as the likely cause.
        var path = incident.GetProperty("postmortem").GetString()!;
        File.Exists(path).ShouldBeTrue(path);
        File.Exists(Path.ChangeExtension(path, ".svg")).ShouldBeTrue();
        var draft = await File.ReadAllTextAsync(path);
        foreach (var section in (string[])["Issue Summary", "Timeline", "Root-cause candidates", "Resolution", "Corrective and Preventive"])
        {
            draft.ShouldContain(section);
        }

        KeepAsArtifact(path);
        var candidates = draft[draft.IndexOf("Root-cause candidates", StringComparison.Ordinal)..];
        candidates.IndexOf("atabase down", StringComparison.Ordinal).ShouldBeGreaterThan(0);
        candidates.IndexOf("atabase down", StringComparison.Ordinal)
            .ShouldBeLessThan(candidates.IndexOf("raffic spike", StringComparison.OrdinalIgnoreCase) is var t and >= 0 ? t : int.MaxValue);
    }

    /// <summary>Keeps the draft and its chart under artifacts/postmortems, so a run shows what operators get.</summary>
    private static void KeepAsArtifact(string draft)
    {
        var folder = Path.Combine(Repository.Root, "artifacts", "postmortems");
        Directory.CreateDirectory(folder);
        File.Copy(draft, Path.Combine(folder, "database-outage.md"), overwrite: true);
        File.Copy(Path.ChangeExtension(draft, ".svg"), Path.Combine(folder, Path.GetFileName(Path.ChangeExtension(draft, ".svg"))), overwrite: true);
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync(path));
        return document.RootElement.Clone();
    }
}
