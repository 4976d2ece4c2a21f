using System.Globalization;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>The fleet's connection budget against the database's limits (docs/overload.md, docs/scaling.md): with as
/// many API pods as there can be (HPA maxReplicas + the rollout's maxSurge), every pod still gets at least the
/// concurrency limit's floor (<c>Admission:MinLimit</c>) of the primary and of each replica, after its own control or
/// probe connection; each pod's API-key listener fits in the room kept for other clients. And the arithmetic written in
/// each kustomization.yaml is the one the rendered objects give.</summary>
public sealed class ConnectionBudgetManifestsTests
{
    public static TheoryData<string> Kustomizations => RenderedKustomization.All;

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Budget_MostApiPods_EachGetsTheConcurrencyFloorOnPrimaryAndReplicas(string directory)
    {
        var budget = FleetBudget.Of(await RenderedKustomization.RenderAsync(directory));

        // SharePlanner: every pod pays its control connection and one seat stays free for a newcomer; the rest is split.
        budget.Primary.ShouldBeGreaterThanOrEqualTo(budget.Pods * (budget.MinShare + 1) + 1, budget.PrimaryLine);
        // ReadServerMonitor: the replica's budget divided by the pods, less each pod's probe connection.
        ((budget.Replica / budget.Pods) - 1).ShouldBeGreaterThanOrEqualTo(budget.MinShare, budget.ReplicaLine);
        // ApiKeyChangeListener: one LISTEN connection per pod outside the share, out of the room for other clients.
        budget.ReservedOnPrimary.ShouldBeGreaterThanOrEqualTo(budget.Pods + FleetBudget.OtherClients, budget.OthersLine);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task BudgetComment_Kustomization_StatesTheRenderedArithmetic(string directory)
    {
        var rendered = await RenderedKustomization.RenderAsync(directory);
        var budget = FleetBudget.Of(rendered);

        var text = rendered.KustomizationText;
        text.ShouldContain(budget.PodsLine, Case.Sensitive, $"deploy/kubernetes/{directory}/kustomization.yaml should state the pods");
        text.ShouldContain(budget.PrimaryLine, Case.Sensitive, $"deploy/kubernetes/{directory}/kustomization.yaml should state the primary's budget");
        text.ShouldContain(budget.ReplicaLine, Case.Sensitive, $"deploy/kubernetes/{directory}/kustomization.yaml should state the replicas' budget");
        text.ShouldContain(budget.OthersLine, Case.Sensitive, $"deploy/kubernetes/{directory}/kustomization.yaml should state the room for other clients");
    }

    /// <summary>The figures of the budget arithmetic, read from the rendered objects.</summary>
    private sealed record FleetBudget(
        int MaxConnections, int SuperuserReserved, int Reserved, int ReservedOnPrimary, int ReservedOnReplica,
        int MaxReplicas, int MaxSurge, int MinShare)
    {
        /// <summary>Room for clients that are not Widgetify's pools or listeners (psql, monitoring, backups, the operator's
        /// own connections): <c>ConnectionBudget:ReservedForOtherClients</c>' shipped default.</summary>
        public const int OtherClients = 10;

        public int Pods => MaxReplicas + MaxSurge;

        public int Primary => MaxConnections - SuperuserReserved - Reserved - ReservedOnPrimary;

        public int Replica => MaxConnections - SuperuserReserved - Reserved - ReservedOnReplica;

        public string PodsLine => $"at most {Pods} API pods (HPA maxReplicas {MaxReplicas} + maxSurge {MaxSurge}), MinLimit {MinShare}";

        public string PrimaryLine => $"#   primary: {MaxConnections} - {SuperuserReserved} - {Reserved} - {ReservedOnPrimary} = {Primary} >= " +
            $"{Pods} x ({MinShare} + 1) + 1 = {(Pods * (MinShare + 1)) + 1}";

        public string ReplicaLine => $"#   replica: {MaxConnections} - {SuperuserReserved} - {Reserved} - {ReservedOnReplica} = {Replica} >= " +
            $"{Pods} x ({MinShare} + 1) = {Pods * (MinShare + 1)}";

        public string OthersLine => $"#   others:  ReservedForOtherClients {ReservedOnPrimary} >= {Pods} listeners + {OtherClients} = {Pods + OtherClients}";

        public static FleetBudget Of(RenderedKustomization rendered)
        {
            var api = new ApiContainer(rendered);
            var cluster = rendered.Single("Cluster");
            var parameters = cluster.At("spec", "postgresql", "parameters");
            // CloudNativePG gives every instance the same parameters, so one max_connections holds for the primary and
            // every replica (a hot standby refuses one below its primary's anyway).
            var image = cluster.Text("spec", "imageName");
            var major = int.Parse(image[(image.LastIndexOf(':') + 1)..].Split('.', '-')[0], CultureInfo.InvariantCulture);
            var reserved = parameters.Find("reserved_connections") is null ? 0 : parameters.Number("reserved_connections");
            (major >= 16 || reserved == 0).ShouldBeTrue("reserved_connections exists from PostgreSQL 16");
            return new FleetBudget(
                MaxConnections: parameters.Number("max_connections"),
                SuperuserReserved: parameters.Number("superuser_reserved_connections"),
                Reserved: reserved,
                ReservedOnPrimary: Number(api, "Widgetify__ConnectionBudget__ReservedForOtherClients"),
                ReservedOnReplica: Number(api, "Widgetify__Database__Replicas__ReservedForOtherClients"),
                MaxReplicas: rendered.Single("HorizontalPodAutoscaler").Number("spec", "maxReplicas"),
                MaxSurge: api.Deployment.Number("spec", "strategy", "rollingUpdate", "maxSurge"),
                MinShare: Number(api, "Widgetify__Admission__MinLimit"));
        }

        private static int Number(ApiContainer api, string setting) => int.Parse(api.Setting(setting), CultureInfo.InvariantCulture);
    }
}
