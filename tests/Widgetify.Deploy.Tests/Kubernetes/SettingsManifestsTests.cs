using System.Text.RegularExpressions;

namespace Widgetify.Deploy.Tests.Kubernetes;

/// <summary>Every setting the manifests give the API names a real option: a misspelt environment variable is ignored by
/// .NET's configuration without a word, so the service would run on the default the manifests meant to change. Checked
/// by walking the option classes in the service's source from <c>WidgetifyOptions</c> (and <c>ScalingOptions</c> for
/// <c>Widgetify:Scaling</c>); the <c>CNPG_*</c> variables against what deploy/scaling/cloudnativepg.sh reads.</summary>
public sealed partial class SettingsManifestsTests
{
    public static TheoryData<string> Kustomizations => RenderedKustomization.All;

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Settings_Kustomization_EveryWidgetifyVariableNamesAnOption(string directory)
    {
        var api = new ApiContainer(await RenderedKustomization.RenderAsync(directory));
        var options = OptionClasses.Read();

        var settings = api.Names.Where(n => n.StartsWith("Widgetify__", StringComparison.Ordinal)).ToList();
        settings.ShouldNotBeEmpty();
        foreach (var setting in settings)
        {
            options.Resolves(setting.Split("__")).ShouldBeTrue($"{setting} names no option of the service (WidgetifyOptions and the classes it holds)");
        }

        api.Setting("Widgetify__Scaling__Provider").ShouldBeOneOf(options.EnumMembers("ReplicaProviderKind"));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Settings_Kustomization_EveryCnpgVariableIsOneTheScriptReads(string directory)
    {
        var api = new ApiContainer(await RenderedKustomization.RenderAsync(directory));
        var script = File.ReadAllText(Repository.PathOf("deploy/scaling/cloudnativepg.sh"));

        var read = ScriptVariable().Matches(script).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var given = api.Names.Where(n => n.StartsWith("CNPG_", StringComparison.Ordinal)).ToList();
        given.ShouldContain("CNPG_CLUSTER", "the script cannot run without it");
        foreach (var variable in given)
        {
            read.ShouldContain(variable, $"cloudnativepg.sh does not read {variable}");
        }
    }

    [GeneratedRegex(@"\$\{(CNPG_[A-Z_]+)")]
    private static partial Regex ScriptVariable();

    /// <summary>The option classes of the service, read from its source: each class's settable properties and their types.</summary>
    private sealed partial class OptionClasses
    {
        private readonly Dictionary<string, Dictionary<string, string>> properties = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> enums = new(StringComparer.Ordinal);

        public static OptionClasses Read()
        {
            var read = new OptionClasses();
            foreach (var file in Directory.EnumerateFiles(Repository.PathOf("src"), "*.cs", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(file);
                var declarations = TypeDeclaration().Matches(text);
                for (var i = 0; i < declarations.Count; i++)
                {
                    var end = i + 1 < declarations.Count ? declarations[i + 1].Index : text.Length;
                    var body = text[declarations[i].Index..end];
                    var name = declarations[i].Groups[2].Value;
                    if (declarations[i].Groups[1].Value == "enum")
                    {
                        read.enums[name] = [.. EnumMember().Matches(body[body.IndexOf('{', StringComparison.Ordinal)..]).Select(m => m.Groups[1].Value)];
                        continue;
                    }

                    var members = read.properties.TryGetValue(name, out var known) ? known : read.properties[name] = new(StringComparer.Ordinal);
                    foreach (Match property in SettableProperty().Matches(body))
                    {
                        members[property.Groups[2].Value] = property.Groups[1].Value.TrimEnd('?');
                    }
                }
            }

            return read;
        }

        public string[] EnumMembers(string name) => enums.TryGetValue(name, out var members) ? [.. members] : [];

        /// <summary>Whether the path (after <c>Widgetify</c>) leads through option classes to a settable property. A
        /// numbered entry of <c>Database:Replicas</c> is a standby, read by ConfiguredReplicas: its keys are
        /// <c>ConnectionString</c> and <c>Name</c>.</summary>
        public bool Resolves(string[] path)
        {
            path[0].ShouldBe("Widgetify");
            var (type, rest) = path[1] == "Scaling" ? ("ScalingOptions", path[2..]) : ("WidgetifyOptions", path[1..]);
            for (var i = 0; i < rest.Length; i++)
            {
                if (type == "ReplicaOptions" && int.TryParse(rest[i], out _))
                {
                    return i == rest.Length - 2 && rest[i + 1] is "ConnectionString" or "Name";
                }

                if (!properties.TryGetValue(type, out var members) || !members.TryGetValue(rest[i], out var next))
                {
                    return false;
                }

                type = next;
            }

            return true;
        }

        [GeneratedRegex(@"\b(class|record|enum)\s+(\w+)")]
        private static partial Regex TypeDeclaration();

        [GeneratedRegex(@"public\s+([\w<>\[\]?]+)\s+(\w+)\s*\{\s*get;\s*set;")]
        private static partial Regex SettableProperty();

        [GeneratedRegex(@"^\s*(\w+)\s*[,=}\r\n]", RegexOptions.Multiline)]
        private static partial Regex EnumMember();
    }
}
