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

    /// <summary>Writes <paramref name="primaryPort"/> into the standby's primary_conninfo when it names another port, and the
    /// replication role and its password when it names another login (a standby made before the role split streamed as the
    /// superuser, which may no longer log in over TCP).</summary>
    /// <returns>True when the file changed: a running standby must then reload its configuration.</returns>
    public static async Task<bool> PointAtAsync(ClusterLayout standby, int primaryPort, string replicationPassword, CancellationToken cancellationToken)
    {
        var path = Path.Combine(standby.PgData, AutoConfFileName);
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        var match = ConnInfo().Match(text);
        if (!match.Success || !match.Groups["value"].Value.Contains("port=", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"'{path}' has no primary_conninfo with a port, which pg_basebackup -R writes: this is not a standby made by Widgetify. " +
                $"Remove '{standby.Root}' to let a new standby be made there.");
        }

        var value = match.Groups["value"].Value;
        var updated = Keyword("port").Replace(value, "port=" + primaryPort.ToString(CultureInfo.InvariantCulture));
        updated = Keyword("user").Replace(updated, "user=" + ClusterDatabase.ReplicationUser);
        // Quoted as pg_basebackup quotes a value with a '-' in it, doubled for the quotes of the setting around it.
        var password = $"password=''{replicationPassword}''";
        updated = Keyword("password").IsMatch(updated) ? Keyword("password").Replace(updated, password) : $"{updated} {password}";
        if (updated == value)
        {
            return false;
        }

        var group = match.Groups["value"];
        // It holds the replication password, like the file pg_basebackup wrote: 0600 and the server user's.
        await ServerUserFile.WriteAsync(path, string.Concat(text.AsSpan(0, group.Index), updated, text.AsSpan(group.Index + group.Length)), ProcessRunner.Instance, cancellationToken);
        return true;
    }

    // A value is bare, or quoted (its quotes doubled inside the setting's own: ''value''). Passwords are URL-safe base64
    // and other values hold no space or quote, so "name=" is found only as the keyword.
    private static Regex Keyword(string name) => new($@"\b{name}=(?:''[^']*''|[^\s']+)", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"^primary_conninfo\s*=\s*'(?<value>(?:[^'\n]|'')*)'", RegexOptions.Multiline)]
    private static partial Regex ConnInfo();
}
