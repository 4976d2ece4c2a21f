using Microsoft.Extensions.Options;
using Npgsql;
using Widgetify.Api.Data;
using Widgetify.Scaling.Controller;
using Widgetify.Scaling.Decisions;
using Widgetify.Scaling.Providers;

namespace Widgetify.Api.Scaling;

/// <summary>Follows the read endpoints a provider reports after an action (a <c>command</c> provider's script prints
/// them): new ones join the rotation, ones it no longer lists are drained. A provider that reports none (local: it adds
/// its standbys itself) changes nothing here. Endpoints carry no password, since a provider's output is logged and
/// stored: the user and password come from the primary's connection string.</summary>
internal sealed class ReportedEndpoints(WidgetifyDataSources dataSources, IOptions<WidgetifyOptions> options, ILogger<ReportedEndpoints> logger)
    : IScalingObserver
{
    /// <summary>How long a reported standby that left the list may finish this instance's reads on it.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly HashSet<string> reported = new(StringComparer.Ordinal);

    public void OnDecided(ScalingDecisionRecord decision)
    {
    }

    public void OnCompleted(ScalingDecisionRecord decision, ScalingActionResult result)
    {
        if (result.Endpoints is not { } endpoints)
        {
            return;
        }

        var primary = new NpgsqlConnectionStringBuilder(options.Value.Database.ConnectionString);
        foreach (var endpoint in endpoints)
        {
            var csb = new NpgsqlConnectionStringBuilder(endpoint.ConnectionString);
            csb.Username ??= primary.Username;
            csb.Password ??= primary.Password;
            csb.Database ??= primary.Database;
            dataSources.Router.Add(endpoint.Name, dataSources.StandbyConnectionString(csb.ConnectionString));
        }

        var listed = endpoints.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in reported.Where(name => !listed.Contains(name)).ToList())
        {
            reported.Remove(gone);
            // In the background: observers run on the autoscaler's thread, which must go on renewing its lease.
            _ = Task.Run(async () =>
            {
                var left = await dataSources.Router.DrainAsync(gone, DrainTimeout, CancellationToken.None);
                ScalingEndpointLog.Drained(logger, gone, left);
            });
        }

        reported.UnionWith(listed);
    }
}

/// <summary>Log messages of the endpoints the providers report.</summary>
internal static partial class ScalingEndpointLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Read endpoint {Name} is no longer reported by the scaling provider: drained and removed ({Left} reads still running when the wait ended)")]
    public static partial void Drained(ILogger logger, string name, int left);
}
