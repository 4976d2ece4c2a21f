namespace Widgetify.Cli;

/// <summary>Keys saved for the operator's convenience: readable by the owner only.</summary>
internal static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, string secret)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(path, secret + Environment.NewLine);
            return;
        }

        // Create it owner-only from the start, so the key is never readable by others even for a moment.
        using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        using (var writer = new StreamWriter(stream))
        {
            writer.WriteLine(secret);
        }

        File.SetUnixFileMode(path, OwnerOnly); // UnixCreateMode applies only to a new file
    }

    public static string? TryRead(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
