using System.Buffers.Text;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;

namespace Widgetify.Postgres;

/// <summary>The generated passwords, kept in pg-credentials.json (mode 0600) next to PGDATA.</summary>
internal sealed record ClusterCredentials(string AdminPassword, string AppPassword)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>URL-safe base64 of 24 random bytes: 192 bits, and no quote or backslash to escape in SQL.</summary>
    public static ClusterCredentials Generate() =>
        new(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)), Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)));

    public static ClusterCredentials? TryLoad(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var credentials = JsonSerializer.Deserialize(File.ReadAllText(path), CredentialsJsonContext.Default.ClusterCredentials);
        return credentials is { AdminPassword.Length: > 0, AppPassword.Length: > 0 }
            ? credentials
            : throw new InvalidOperationException($"'{path}' does not hold both adminPassword and appPassword.");
    }

    /// <summary>
    /// Written to a 0600 temp file and renamed into place, so the passwords are never readable by others,
    /// not even for a moment, and a crash never leaves a half-written file.
    /// </summary>
    [UnsupportedOSPlatform("windows")]
    public void Save(string path)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        };
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, CredentialsJsonContext.Default.ClusterCredentials);
        }

        // UnixCreateMode only applies when the file is new; make sure of the mode either way.
        File.SetUnixFileMode(temporary, OwnerOnly);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Records print their members by default; keep the passwords out of logs and exception messages.</summary>
    public override string ToString() => "ClusterCredentials { AdminPassword = ***, AppPassword = *** }";
}
