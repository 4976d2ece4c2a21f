using System.Net.Sockets;
using System.Text;

namespace Widgetify.Cli.Cluster;

/// <summary>HAProxy's admin socket (its runtime API): one command per connection, the answer read to the end.</summary>
internal sealed class HaproxyAdmin(string socketPath)
{
    public async Task<string> SendAsync(string command, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, cancellationToken);
        var answer = new StringBuilder();
        var buffer = new byte[8192];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    /// <summary>The backend's servers as HAProxy sees them: status (UP, DOWN, DRAIN, MAINT, with "n/m" while a check is
    /// changing it), current sessions (requests in flight to it), sessions since HAProxy started, the slow start's
    /// throttle (the percentage of its weight a returning server has so far; none once it has all of it), and the 5xx
    /// answers it gave since HAProxy started (across restarts of the instance: HAProxy keeps the count per server).</summary>
    public async Task<IReadOnlyList<BalancedServer>> ServersAsync(CancellationToken cancellationToken)
    {
        var csv = (await SendAsync("show stat", cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (csv.Length == 0 || !csv[0].StartsWith("# ", StringComparison.Ordinal))
        {
            return [];
        }

        var header = csv[0][2..].Split(',');
        int Column(string name) => Array.IndexOf(header, name);
        var (proxy, server, sessions, total, status) = (Column("pxname"), Column("svname"), Column("scur"), Column("stot"), Column("status"));
        var (throttle, serverErrors) = (Column("throttle"), Column("hrsp_5xx"));
        return [.. csv.Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f.Length > status && f[proxy] == ClusterInstances.Backend && f[server] is not ("BACKEND" or "FRONTEND"))
            .Select(f => new BalancedServer(f[server], f[status], int.TryParse(f[sessions], out var n) ? n : 0, long.TryParse(f[total], out var t) ? t : 0)
            {
                Throttle = throttle >= 0 && throttle < f.Length && int.TryParse(f[throttle], out var percent) ? percent : null,
                ServerErrors = serverErrors >= 0 && serverErrors < f.Length && long.TryParse(f[serverErrors], out var errors) ? errors : 0,
            })];
    }

    /// <summary>ready, drain or maint: <c>set server api/NAME state ...</c>; throws with HAProxy's answer when refused.</summary>
    public async Task SetStateAsync(string server, string state, CancellationToken cancellationToken)
    {
        var answer = (await SendAsync($"set server {ClusterInstances.Backend}/{server} state {state}", cancellationToken)).Trim();
        if (answer.Length > 0)
        {
            throw new InvalidOperationException($"HAProxy refused to set {server} to {state}: {answer}");
        }
    }
}

/// <summary>A server of the balancer's backend.</summary>
internal sealed record BalancedServer(string Name, string Status, int CurrentSessions, long TotalSessions)
{
    public bool IsUp => Status == "UP";

    /// <summary>While HAProxy's slow start ramps a returning server up, the percentage of its weight it has; null once it
    /// has all of it (or when no slow start is configured).</summary>
    public int? Throttle { get; init; }

    /// <summary>Answers with a 5xx status it gave (its own 503s when it sheds among them) since HAProxy started.</summary>
    public long ServerErrors { get; init; }

    /// <summary>UP and past its slow start: it takes its full part of the requests.</summary>
    public bool IsFullyUp => IsUp && Throttle is null;
}
