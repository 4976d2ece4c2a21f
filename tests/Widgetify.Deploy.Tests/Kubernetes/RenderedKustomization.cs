using System.Collections.Concurrent;
using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>A kustomization of deploy/kubernetes as <c>kubectl kustomize</c> renders it: what <c>kubectl apply -k</c> would
/// send, so the tests judge the objects after every patch and generator, not the files.</summary>
internal sealed class RenderedKustomization
{
    /// <summary>Every kustomization an operator may apply: the base and each overlay.</summary>
    public static readonly TheoryData<string> All = ["base", "overlays/dev", "overlays/production"];

    private static readonly ConcurrentDictionary<string, Lazy<Task<RenderedKustomization>>> Rendered = new();

    private RenderedKustomization(string directory, IReadOnlyList<YamlMappingNode> objects)
    {
        Directory = directory;
        Objects = objects;
    }

    /// <summary>The kustomization's folder under deploy/kubernetes, as in <see cref="All"/>.</summary>
    public string Directory { get; }

    /// <summary>The rendered objects, in kustomize's order.</summary>
    public IReadOnlyList<YamlMappingNode> Objects { get; }

    /// <summary>The kustomization.yaml itself, whose comments carry the budget arithmetic.</summary>
    public string KustomizationText => File.ReadAllText(Repository.PathOf($"deploy/kubernetes/{Directory}/kustomization.yaml"));

    /// <summary>The one object of this kind; fails when there is none or several.</summary>
    public YamlMappingNode Single(string kind) =>
        Objects.Where(o => o.Text("kind") == kind).ShouldHaveSingleItem($"{Directory} renders one {kind}");

    /// <summary>Renders once per test run and folder (kustomize is deterministic), then shares the result.</summary>
    public static Task<RenderedKustomization> RenderAsync(string directory) =>
        Rendered.GetOrAdd(directory, d => new Lazy<Task<RenderedKustomization>>(() => RenderNowAsync(d))).Value;

    private static async Task<RenderedKustomization> RenderNowAsync(string directory)
    {
        var render = new ProcessStartInfo("kubectl") { ArgumentList = { "kustomize", Repository.PathOf($"deploy/kubernetes/{directory}") } };
        ProcessOutcome rendered;
        try
        {
            rendered = await ChildProcess.RunAsync(render, null, TimeSpan.FromMinutes(1));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("kubectl is not on PATH, so the kustomization cannot be rendered: install kubectl (it includes kustomize).", ex);
        }

        rendered.ExitCode.ShouldBe(0, rendered.Stderr);
        var stream = new YamlStream();
        stream.Load(new StringReader(rendered.Stdout));
        var objects = stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
        objects.ShouldNotBeEmpty($"kubectl kustomize deploy/kubernetes/{directory} rendered nothing");
        return new RenderedKustomization(directory, objects);
    }
}
