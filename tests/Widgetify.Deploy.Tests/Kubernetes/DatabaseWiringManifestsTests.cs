using System.Data.Common;
using System.Globalization;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>How the API reaches the CloudNativePG Cluster: writes through its -rw service, reads through -ro, with the
/// runtime role's credentials and the owner's for migrations only; and how its database autoscaler changes the
/// Cluster (the <c>command</c> provider running deploy/scaling/cloudnativepg.sh, allowed by RBAC to do exactly that).</summary>
public sealed class DatabaseWiringManifestsTests
{
    public static TheoryData<string> Kustomizations => RenderedKustomization.All;

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task ConnectionStrings_Kustomization_PrimaryOnRwReplicasOnRo(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var api = new ApiContainer(rendered);
        var cluster = rendered.Single("Cluster");
        var database = cluster.Text("spec", "bootstrap", "initdb", "database");

        var primary = Parse(api.Setting("Widgetify__Database__ConnectionString"));
        var migrations = Parse(api.Setting("Widgetify__Database__MigrationConnectionString"));
        var replicas = Parse(api.Setting("Widgetify__Database__Replicas__0__ConnectionString"));

        primary["Host"].ShouldBe($"{cluster.Name()}-rw");
        migrations["Host"].ShouldBe($"{cluster.Name()}-rw");
        replicas["Host"].ShouldBe($"{cluster.Name()}-ro");
        api.Setting("Widgetify__Database__Replicas__0__Name").ShouldBe($"{cluster.Name()}-ro",
            "the name cloudnativepg.sh reports, so its report replaces this entry instead of adding the same servers twice");
        foreach (var settings in new[] { primary, migrations, replicas })
        {
            settings["Database"].ShouldBe(database);
            settings["Port"].ShouldBe("5432");
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Credentials_Kustomization_RuntimeRoleFromItsSecretOwnerFromTheGeneratedAppSecret(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var api = new ApiContainer(rendered);
        var cluster = rendered.Single("Cluster");
        var runtimeRole = cluster.Items("spec", "managed", "roles").ShouldHaveSingleItem();
        var runtimeSecret = runtimeRole.Text("passwordSecret", "name");

        var primary = Parse(api.Setting("Widgetify__Database__ConnectionString"));
        var migrations = Parse(api.Setting("Widgetify__Database__MigrationConnectionString"));
        var replicas = Parse(api.Setting("Widgetify__Database__Replicas__0__ConnectionString"));

        foreach (var runtime in new[] { primary, replicas })
        {
            api.SecretOf(Variable(runtime["Username"])).ShouldBe((runtimeSecret, "username"));
            api.SecretOf(Variable(runtime["Password"])).ShouldBe((runtimeSecret, "password"));
        }

        // CloudNativePG names the bootstrap owner's secret <cluster>-app.
        api.SecretOf(Variable(migrations["Username"])).ShouldBe(($"{cluster.Name()}-app", "username"));
        api.SecretOf(Variable(migrations["Password"])).ShouldBe(($"{cluster.Name()}-app", "password"));
        cluster.Text("spec", "bootstrap", "initdb", "owner").ShouldNotBe(runtimeRole.Text("name"),
            "the serving role must not own the schema (docs/database-roles.md)");
        cluster.Text("spec", "enableSuperuserAccess").ShouldBe("false");
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Autoscaler_Kustomization_CommandProviderScalesTheClustersInstancesWithinItsBounds(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var api = new ApiContainer(rendered);
        var cluster = rendered.Single("Cluster");

        api.Setting("Widgetify__Scaling__Provider").ShouldBe("Command", StringCompareShould.IgnoreCase);
        api.Setting("Widgetify__Scaling__Command__Path").ShouldEndWith("/cloudnativepg.sh");
        api.Setting("CNPG_CLUSTER").ShouldBe(cluster.Name());
        api.Setting("CNPG_DATABASE").ShouldBe(cluster.Text("spec", "bootstrap", "initdb", "database"));
        api.Setting("CNPG_USER").ShouldBe(cluster.Items("spec", "managed", "roles").ShouldHaveSingleItem().Text("name"),
            "the router takes the reported endpoint's password from the primary's connection string, the runtime role's");
        api.Container.Items("env").Single(e => e.Text("name") == "CNPG_NAMESPACE").Text("valueFrom", "fieldRef", "fieldPath")
            .ShouldBe("metadata.namespace");

        var min = int.Parse(api.Setting("Widgetify__Scaling__MinReplicas"), CultureInfo.InvariantCulture);
        var max = int.Parse(api.Setting("Widgetify__Scaling__MaxReplicas"), CultureInfo.InvariantCulture);
        max.ShouldBeGreaterThan(min, "the autoscaler runs only with room between its bounds");
        cluster.Number("spec", "instances").ShouldBe(min + 1, "spec.instances counts the primary: the Cluster starts at MinReplicas");

        // The script's kubectl wait must give up before the provider kills it, so its own message is what is logged.
        var scriptTimeout = api.Setting("CNPG_TIMEOUT");
        scriptTimeout.ShouldEndWith("m");
        TimeSpan.FromMinutes(int.Parse(scriptTimeout[..^1], CultureInfo.InvariantCulture))
            .ShouldBeLessThan(TimeSpan.Parse(api.Setting("Widgetify__Scaling__Command__Timeout"), CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Rbac_Kustomization_LetsThePodRunEveryKubectlCallOfTheScript(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var api = new ApiContainer(rendered);
        var cluster = rendered.Single("Cluster");
        var account = rendered.Single("ServiceAccount");
        var role = rendered.Single("Role");
        var binding = rendered.Single("RoleBinding");

        api.PodSpec.Text("serviceAccountName").ShouldBe(account.Name());
        binding.Text("roleRef", "kind").ShouldBe("Role");
        binding.Text("roleRef", "name").ShouldBe(role.Name());
        binding.Items("subjects").ShouldContain(s => s.Text("kind") == "ServiceAccount" && s.Text("name") == account.Name());

        var script = File.ReadAllText(Repository.PathOf("deploy/scaling/cloudnativepg.sh"));
        // What each of the script's kubectl calls needs (kubectl wait on one name gets it, then watches it by name).
        (string Call, string Group, string Resource, string Name, string[] Verbs)[] calls =
        [
            ("get cluster \"$cluster\"", "postgresql.cnpg.io", "clusters", cluster.Name(), ["get"]),
            ("patch cluster \"$cluster\"", "postgresql.cnpg.io", "clusters", cluster.Name(), ["patch"]),
            ("wait \"cluster/$cluster\"", "postgresql.cnpg.io", "clusters", cluster.Name(), ["get", "list", "watch"]),
            ("get service \"$cluster-ro\"", "", "services", $"{cluster.Name()}-ro", ["get"]),
        ];
        foreach (var (call, group, resource, name, verbs) in calls)
        {
            script.ShouldContain(call, Case.Sensitive, "the script changed: update the RBAC and this table");
            foreach (var verb in verbs)
            {
                role.Items("rules").ShouldContain(
                    rule => rule.Texts("apiGroups").Contains(group) && rule.Texts("resources").Contains(resource) &&
                        rule.Texts("verbs").Contains(verb) && (rule.Texts("resourceNames").Count == 0 || rule.Texts("resourceNames").Contains(name)),
                    $"the Role must allow {verb} on {resource} {name} for 'kubectl {call}'");
            }
        }
    }

    private static Dictionary<string, string> Parse(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return builder.Keys.Cast<string>().ToDictionary(k => k, k => (string)builder[k], StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The variable a value refers to whole, as <c>$(NAME)</c>.</summary>
    private static string Variable(string value)
    {
        value.ShouldStartWith("$(");
        value.ShouldEndWith(")");
        return value[2..^1];
    }
}
