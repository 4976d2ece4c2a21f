using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>The API's container in a rendered kustomization, with the environment the process would get: the settings
/// ConfigMap (envFrom) overlaid by the container's own <c>env</c>, whose <c>$(VAR)</c> references Kubernetes expands
/// from variables defined before them. Values from secrets stay references (<see cref="SecretOf"/>).</summary>
internal sealed partial class ApiContainer
{
    private readonly Dictionary<string, string> settings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Secret, string Key)> secrets = new(StringComparer.Ordinal);

    public ApiContainer(RenderedKustomization rendered)
    {
        Deployment = rendered.Single("Deployment");
        PodSpec = Deployment.At("spec", "template", "spec");
        Container = PodSpec.Items("containers").ShouldHaveSingleItem("the API pod runs one container");
        foreach (var source in Container.Items("envFrom"))
        {
            var name = source.Text("configMapRef", "name");
            var map = rendered.Objects.Where(o => o.Text("kind") == "ConfigMap" && o.Name() == name)
                .ShouldHaveSingleItem($"the ConfigMap {name} the API's envFrom names is rendered");
            foreach (var (key, value) in map.Pairs("data"))
            {
                settings[key] = value;
            }
        }

        foreach (var variable in Container.Items("env"))
        {
            var name = variable.Text("name");
            if (variable.Find("valueFrom", "secretKeyRef") is { } secret)
            {
                secrets[name] = (secret.Text("name"), secret.Text("key"));
                settings[name] = $"$({name})";
            }
            else if (variable.Find("value") is YamlScalarNode value)
            {
                settings[name] = Expand(name, value.Value ?? "");
            }
            else
            {
                settings[name] = $"$({name})";
            }
        }
    }

    public YamlMappingNode Deployment { get; }

    public YamlNode PodSpec { get; }

    public YamlNode Container { get; }

    /// <summary>Every variable the process gets, from the ConfigMap and the container's env.</summary>
    public IEnumerable<string> Names => settings.Keys;

    /// <summary>The setting's value as the process sees it; fails naming the setting when it is not configured.</summary>
    public string Setting(string name) =>
        settings.TryGetValue(name, out var value) ? value : throw new ShouldAssertException($"the API container has no {name}");

    /// <summary>The secret and key a variable comes from.</summary>
    public (string Secret, string Key) SecretOf(string variable) =>
        secrets.TryGetValue(variable, out var source) ? source : throw new ShouldAssertException($"{variable} does not come from a secret");

    /// <summary>The container port a probe or Service names (by name or number).</summary>
    public int Port(string nameOrNumber)
    {
        var port = Container.Items("ports").FirstOrDefault(p => p.Find("name") is YamlScalarNode n && n.Value == nameOrNumber
            || p.Text("containerPort") == nameOrNumber);
        return (port ?? throw new ShouldAssertException($"the API container has no port {nameOrNumber}")).Number("containerPort");
    }

    /// <summary>Kubernetes' dependent variables: $(NAME) is replaced when NAME was defined earlier; otherwise left as
    /// written, which the process would then see literally, so the test fails on it.</summary>
    private string Expand(string variable, string value) => Reference().Replace(value, m =>
    {
        var name = m.Groups[1].Value;
        settings.ContainsKey(name).ShouldBeTrue($"{variable} refers to $({name}), which is not defined before it");
        return settings[name];
    });

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
