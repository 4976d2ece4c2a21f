using System.Buffers.Text;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Widgetify.Postgres;

/// <summary>
/// The generated passwords, kept in pg-credentials.json (mode 0600) next to PGDATA: the runtime role's, which the service
/// logs in with, and the replication role's, which standbys stream with. No superuser password: local administration
/// logs in as the superuser over the Unix socket with peer authentication (<see cref="ClusterAccess"/>).
/// </summary>
/// <param name="AppPassword">The runtime role <c>widgetify</c>'s.</param>
/// <param name="ReplicationPassword">The replication role <c>widgetify_replication</c>'s.</param>
/// <param name="AdminPassword">Only read: a file written before the role split held the superuser's password, which
/// the next start removes from the file and from the role (<see cref="WithoutAdminPassword"/>).</param>
internal sealed record ClusterCredentials(string AppPassword, string? ReplicationPassword = null, string? AdminPassword = null)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>True when the file still holds what an older version wrote: a superuser password, or no replication password.</summary>
    [JsonIgnore]
    public bool NeedsRewrite => AdminPassword is not null || ReplicationPassword is null;

    /// <summary>URL-safe base64 of 24 random bytes: 192 bits, and no quote or backslash to escape in SQL.</summary>
    public static ClusterCredentials Generate() => new(NewPassword(), NewPassword());

    /// <summary>These passwords as this version keeps them: a replication password (a new one when the file had none), and
    /// no superuser password.</summary>
    public ClusterCredentials WithoutAdminPassword() => new(AppPassword, ReplicationPassword ?? NewPassword());

    public static ClusterCredentials? TryLoad(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var credentials = JsonSerializer.Deserialize(File.ReadAllText(path), CredentialsJsonContext.Default.ClusterCredentials);
        return credentials is { AppPassword.Length: > 0 }
            ? credentials
            : throw new InvalidOperationException($"'{path}' does not hold appPassword.");
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
    public override string ToString() => "ClusterCredentials { AppPassword = ***, ReplicationPassword = *** }";

    private static string NewPassword() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
}
