namespace Widgetify.Api.Tests.Infrastructure;

/// <summary>The checkout the tests run from, found by walking up to <c>Widgetify.slnx</c>.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Widgetify.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Widgetify.slnx above {AppContext.BaseDirectory}.");
    }
}
