namespace Widgetify.Testing;

/// <summary>The checkout the tests run from: the deploy files are read where operators find them, not copied.</summary>
public static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The directory holding <c>Widgetify.slnx</c>.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>A path under the root, from '/'-separated parts.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Widgetify.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No Widgetify.slnx in {AppContext.BaseDirectory} or any parent: run the tests from a Widgetify checkout.");
    }
}
