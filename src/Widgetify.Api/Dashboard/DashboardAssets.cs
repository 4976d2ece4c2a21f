using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Security.Cryptography;

namespace Widgetify.Api.Dashboard;

/// <summary>One file of the dashboard, with what is needed to serve it.</summary>
internal sealed record DashboardAsset(string Name, string ContentType, byte[] Content, string ETag);

/// <summary>The dashboard's files (<c>Dashboard/wwwroot</c>), embedded in the assembly and read once at startup:
/// the page keeps working when the disk or the database does not, and an instance serves exactly the dashboard it
/// was built with.</summary>
internal sealed class DashboardAssets
{
    /// <summary>The logical-name prefix given to the files in Widgetify.Api.csproj.</summary>
    public const string ResourcePrefix = "Widgetify.Dashboard.";

    public const string PageName = "index.html";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, DashboardAsset> _assets;

    private DashboardAssets(FrozenDictionary<string, DashboardAsset> assets, DashboardAsset page)
    {
        _assets = assets;
        Page = page;
    }

    /// <summary><c>index.html</c>, served at <c>/dashboard</c>.</summary>
    public DashboardAsset Page { get; }

    /// <summary>The names served under <c>/dashboard/assets/</c>.</summary>
    public IEnumerable<string> Names => _assets.Keys.Order(StringComparer.Ordinal);

    /// <summary>Finds an asset by its exact file name (the page itself is not an asset).</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out DashboardAsset? asset) =>
        _assets.TryGetValue(name, out asset);

    public static DashboardAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        DashboardAsset? page = null;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            // A file type without a content type would be served as something the browser refuses (scripts under
            // nosniff) or guesses at: fail at startup instead, naming the file.
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                throw new InvalidOperationException(
                    $"The dashboard file '{name}' has no known content type; add its extension to {nameof(DashboardAssets)}.ContentTypes.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            // Strong validator from the bytes: a rebuilt dashboard gets a new ETag, an unchanged one revalidates to 304.
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            var asset = new DashboardAsset(name, contentType, content, etag);
            if (name == PageName)
            {
                page = asset;
            }
            else
            {
                assets.Add(name, asset);
            }
        }

        return new DashboardAssets(
            assets.ToFrozenDictionary(StringComparer.Ordinal),
            page ?? throw new InvalidOperationException(
                $"The dashboard page '{PageName}' is not embedded in {assembly.GetName().Name}; check the EmbeddedResource item for Dashboard/wwwroot."));
    }
}
