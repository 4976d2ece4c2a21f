using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>Reading rendered manifests by path, with failures that name the path that is missing.</summary>
internal static class YamlNodes
{
    /// <summary>The node at the path of mapping keys; fails naming the path when a key is missing.</summary>
    public static YamlNode At(this YamlNode node, params string[] path)
    {
        var current = node;
        for (var i = 0; i < path.Length; i++)
        {
            var found = current is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(path[i]), out var child)
                ? child
                : null;
            current = found ?? throw new Shouldly.ShouldAssertException($"{string.Join('.', path[..(i + 1)])} is missing");
        }

        return current;
    }

    /// <summary>The node at the path, or null when a key on the way is missing.</summary>
    public static YamlNode? Find(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                return null;
            }

            current = child;
        }

        return current;
    }

    /// <summary>The scalar at the path, as written.</summary>
    public static string Text(this YamlNode node, params string[] path) =>
        (node.At(path) as YamlScalarNode)?.Value ?? throw new Shouldly.ShouldAssertException($"{string.Join('.', path)} is not a scalar");

    /// <summary>The whole number at the path (Kubernetes writes some as strings, such as PostgreSQL parameters).</summary>
    public static int Number(this YamlNode node, params string[] path) =>
        int.Parse(node.Text(path), NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>The items of the sequence at the path; none when the key is missing.</summary>
    public static IReadOnlyList<YamlNode> Items(this YamlNode node, params string[] path) =>
        node.Find(path) is YamlSequenceNode sequence ? [.. sequence.Children] : [];

    /// <summary>The scalars of the sequence at the path.</summary>
    public static IReadOnlyList<string> Texts(this YamlNode node, params string[] path) =>
        [.. node.Items(path).OfType<YamlScalarNode>().Select(s => s.Value ?? "")];

    /// <summary>A mapping of scalars (labels, a ConfigMap's data) as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> Pairs(this YamlNode node, params string[] path) =>
        node.Find(path) is YamlMappingNode mapping
            ? mapping.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => (p.Value as YamlScalarNode)?.Value ?? "")
            : new Dictionary<string, string>();

    /// <summary>The object's metadata.name.</summary>
    public static string Name(this YamlNode resource) => resource.Text("metadata", "name");
}
