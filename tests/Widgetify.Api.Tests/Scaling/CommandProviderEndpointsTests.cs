using System.Globalization;
using System.Net;
using System.Text.Json;
using Widgetify.Api.Auth;
using Widgetify.Api.Tests.Infrastructure;
using Widgetify.Postgres.Standbys;

namespace Widgetify.Api.Tests.Scaling;

/// <summary>The <c>command</c> provider end to end: a script run by the autoscaler reports the read endpoint it scaled
/// (as deploy/scaling/cloudnativepg.sh reports the cluster's <c>-ro</c> service), the router takes reads there, and
/// when a later action no longer lists it, it is drained away. A real standby stands behind the reported endpoint; the
/// read p99 target is set so that any served read saturates and the windows are the shortest allowed.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CommandProviderEndpointsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReportedEndpoint_JoinsTheRotationOnScaleOutAndIsDrainedWhenNoLongerListed()
    {
        await using var postgres = await TestPostgres.StartAsync();
        await using var standbys = new LocalStandbys(postgres.Cluster);
        var standby = await standbys.AddAsync();
        var script = Path.Combine(postgres.Root, "scale.sh");
        var calls = Path.Combine(postgres.Root, "calls.log");
        // The endpoint carries no credentials: the service takes the primary's user and password.
        File.WriteAllText(script, $$"""
            #!/bin/sh
            input=$(cat)
            echo "$input" >> '{{calls}}'
            case "$input" in
              *'"desiredReplicas":0'*) echo '{"replicas":0,"endpoints":[]}' ;;
              *) echo '{"replicas":1,"endpoints":[{"name":"pg-ro","connectionString":"Host=127.0.0.1;Port={{standby.Port.ToString(CultureInfo.InvariantCulture)}}"}]}' ;;
            esac
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var server = await WidgetifyServer.StartAsync(postgres, new Dictionary<string, string?>
        {
            ["Widgetify:Scaling:MinReplicas"] = "0",
            ["Widgetify:Scaling:MaxReplicas"] = "1",
            ["Widgetify:Scaling:Provider"] = "Command",
            ["Widgetify:Scaling:Command:Path"] = script,
            ["Widgetify:Scaling:ReadP99Target"] = "00:00:00.001",
            ["Widgetify:Scaling:ScaleOutWindow"] = "00:00:01",
            ["Widgetify:Scaling:ScaleInWindow"] = "00:00:10",
            ["Widgetify:Scaling:Cooldown"] = "00:00:00",
        });
        using var tenant = await server.CreateTenantAsync();
        using var operators = await server.CreateTenantAsync(ApiKeyRole.Operator);

        // Out: reads until the reported endpoint serves some of them.
        await BoundedWait.UntilAsync(
            async () =>
            {
                (await tenant.Http.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);
                return Server(await ScalingAsync(operators), "pg-ro") is { } ro && ro.GetProperty("readsServed").GetInt64() > 0;
            },
            () => File.Exists(calls) ? File.ReadAllText(calls) : "the script was not run", "reads are served by the reported endpoint", Bound);
        var scaling = await ScalingAsync(operators);
        var ro = Server(scaling, "pg-ro")!.Value;
        (ro.GetProperty("role").GetString(), ro.GetProperty("port").GetInt32()).ShouldBe(("standby", standby.Port));
        var decision = scaling.GetProperty("decisions")[0];
        (decision.GetProperty("direction").GetString(), decision.GetProperty("result").GetString()).ShouldBe(("out", "succeeded"));
        decision.GetProperty("message").GetString()!.ShouldContain("endpoints: pg-ro");

        // In: quiet for the scale-in window; the script reports no endpoint any more and the standby is drained away.
        await BoundedWait.UntilAsync(
            async () => Server(await ScalingAsync(operators), "pg-ro") is null,
            () => File.ReadAllText(calls), "the endpoint the script no longer lists leaves the rotation", Bound);
        (await ScalingAsync(operators)).GetProperty("decisions")[0].GetProperty("direction").GetString().ShouldBe("in");
        (await tenant.Http.GetAsync("/api/widgets")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static async Task<JsonElement> ScalingAsync(TenantClient operators)
    {
        using var response = await operators.Http.GetAsync("/api/scaling");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static JsonElement? Server(JsonElement scaling, string name) =>
        scaling.GetProperty("servers").EnumerateArray().Where(s => s.GetProperty("name").GetString() == name).Select(s => (JsonElement?)s).FirstOrDefault();
}
