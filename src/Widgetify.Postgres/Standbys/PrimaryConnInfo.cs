using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace Widgetify.Postgres.Standbys;

/// <summary>
/// Keeps a standby pointed at its primary. pg_basebackup -R writes the primary's port into primary_conninfo in
/// postgresql.auto.conf, but the embedded primary takes a free port at each start; a standby still pointing at the
/// old one would never stream again.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static partial class PrimaryConnInfo
{
    private const string AutoConfFileName = "postgresql.auto.conf";

    /// <summary>Writes <paramref name="primaryPort"/> into the standby's primary_conninfo when it names another port.</summary>
    /// <returns>True when the file changed: a running standby must then reload its configuration.</returns>
    public static async Task<bool> PointAtAsync(ClusterLayout standby, int primaryPort, CancellationToken cancellationToken)
    {
        var path = Path.Combine(standby.PgData, AutoConfFileName);
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        var match = PortInConnInfo().Match(text);
        if (!match.Success)
        {
            throw new InvalidOperationException(
                $"'{path}' has no primary_conninfo with a port, which pg_basebackup -R writes: this is not a standby made by Widgetify. " +
                $"Remove '{standby.Root}' to let a new standby be made there.");
        }

        var port = primaryPort.ToString(CultureInfo.InvariantCulture);
        if (match.Groups["port"].Value == port)
        {
            return false;
        }

        var updated = string.Concat(text.AsSpan(0, match.Groups["port"].Index), port, text.AsSpan(match.Groups["port"].Index + match.Groups["port"].Length));
        // It holds the admin password, like the file pg_basebackup wrote: 0600 and the server user's.
        await ServerUserFile.WriteAsync(path, updated, ProcessRunner.Instance, cancellationToken);
        return true;
    }

    // Passwords are URL-safe base64 and other values hold no '=', so "port=" is found only as the keyword.
    [GeneratedRegex(@"^primary_conninfo\s*=\s*'[^\n]*?\bport=(?<port>\d+)", RegexOptions.Multiline)]
    private static partial Regex PortInConnInfo();
}
