namespace Widgetify.Scaling.Tests.Providers;

/// <summary>Small bash scripts written for one test, in a temporary folder removed on dispose.</summary>
internal sealed class TestScripts : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("widgetify-scripts-").FullName;

    /// <summary>A file in the folder, for a script to write what it received.</summary>
    public string PathOf(string name) => Path.Combine(root, name);

    /// <summary>Writes an executable bash script with <paramref name="body"/> and returns its path.</summary>
    public string Write(string body)
    {
        var path = Path.Combine(root, "script-" + Guid.NewGuid().ToString("N")[..8] + ".sh");
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
