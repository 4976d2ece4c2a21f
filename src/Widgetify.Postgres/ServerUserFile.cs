using System.Runtime.Versioning;

namespace Widgetify.Postgres;

/// <summary>
/// Secrets the server user must read and nobody else may: initdb's password file, a standby's primary_conninfo.
/// Mode 0600 from the first byte, given to postgres when the server runs as postgres, and renamed into place so
/// that a reader never sees half a file.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class ServerUserFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static async Task WriteAsync(string path, string text, ProcessRunner runner, CancellationToken cancellationToken)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        };
        await using (var writer = new StreamWriter(temporary, options))
        {
            await writer.WriteAsync(text.AsMemory(), cancellationToken);
        }

        // UnixCreateMode only applies when the file is new; make sure of the mode either way.
        File.SetUnixFileMode(temporary, OwnerOnly);
        if (runner.RunServerCommandsAsPostgres)
        {
            await UnixAccount.ChownToPostgresAsync([temporary], cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
